"""The desk's core rules: the business calendar (`calendar`), SLA levels and due times (`sla`),
the intake service every channel opens tickets through (`intake`), and the directory import
(`directory`). May import `gateway.config`, `gateway.errors`, `parsers` and `store`."""
