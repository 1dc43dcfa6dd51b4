"""The cluster tests' fixtures: two nodes on one database (tests/helpers/cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cluster import Cluster, two_nodes
from tests.helpers.dovecot import Dovecot
from tests.helpers.postgres import Postgres


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres,
            dovecot: Dovecot) -> Iterator[Cluster]:
    """Two nodes shared by the tests of a module that leave both running."""
    with two_nodes(tmp_path_factory.mktemp("cluster"), postgres, dovecot) as running:
        yield running


@pytest.fixture
def own_cluster(tmp_path: Path, postgres: Postgres, dovecot: Dovecot) -> Iterator[Cluster]:
    """Two nodes for one test that kills one of them."""
    with two_nodes(tmp_path, postgres, dovecot) as running:
        yield running
