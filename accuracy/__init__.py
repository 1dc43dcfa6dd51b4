"""The labelled accuracy set of the email channel and the public labelled material it is
checked against as well (`make accuracy`; see accuracy/README.md)."""
