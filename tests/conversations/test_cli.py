"""flask civic deliberation opinion-groups VOTES.csv [--json]."""

import gzip
import json

from click.testing import CliRunner

from civic.conversations.cli import deliberation_group
from tests.conversations.test_groups import DATA


def test_json_last_line_on_a_polis_export(tmp_path):
    votes = tmp_path / "votes.csv"
    votes.write_bytes(gzip.decompress((DATA / "brexit-consensus-votes.csv.gz").read_bytes()))
    result = CliRunner().invoke(deliberation_group, ["opinion-groups", str(votes), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert set(out) == {"groups", "n_groups", "consensus", "seconds"}
    assert out["n_groups"] == 2
    assert set(out["groups"].values()) == {0, 1}
    assert len(out["groups"]) > 150 and all(isinstance(k, str) for k in out["groups"])
    assert out["consensus"] and all(isinstance(c, str) for c in out["consensus"])


def test_a_file_that_is_not_a_polis_export_is_a_clear_error(tmp_path):
    path = tmp_path / "votes.csv"
    path.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(deliberation_group, ["opinion-groups", str(path)])
    assert result.exit_code == 1
    assert "missing column(s)" in result.output
