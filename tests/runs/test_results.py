"""The one results writer (runs.results)."""
import json

from pwae_core.runs import results


def test_writes_the_json_and_the_markdown_side_by_side(tmp_path):
    result = {"rows": {"a": {"ES": 1.5}}, "seeds": [0, 1]}
    paths = results.write(result, "| a | 1.5 |\n\n\n", tmp_path / "deep" / "out", "table")
    assert paths == {"json": str(tmp_path / "deep" / "out" / "table.json"),
                     "md": str(tmp_path / "deep" / "out" / "table.md")}
    assert json.loads(open(paths["json"]).read()) == result
    assert open(paths["md"]).read() == "| a | 1.5 |\n"                # one trailing newline
