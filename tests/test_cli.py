"""The command line: one-line errors for user mistakes, and the progress display."""

import io

import pytest

from mnist_kit import cli


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(
    "argv, message",
    [
        (["grade", "{tmp}/missing.ipynb", "--out", "{tmp}/out"], "no such file or folder"),
        (["grade", "{tmp}/empty", "--out", "{tmp}/out"], "holds no .ipynb or .zip file"),
        (["report", "{tmp}/empty"], "holds no graded results; run mnist-kit grade"),
        (["merge", "{tmp}/empty", "--out", "{tmp}/out"], "has no results/ folder"),
    ],
)
def test_user_mistakes_get_one_line_and_exit_1(tmp_path, capsys, argv, message):
    (tmp_path / "empty").mkdir()
    status = cli.main([arg.format(tmp=tmp_path) for arg in argv])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith(f"mnist-kit {argv[0]}: error: ") and message in err
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.parametrize("option", ["--jobs", "--timeout", "--max-memory", "--max-disk", "--max-upload"])
@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_limits_must_be_positive_numbers(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), option, value])
    assert exit_info.value.code == 2
    assert f"argument {option}: expected a positive number, got '{value}'" in capsys.readouterr().err


def test_progress_prints_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = cli.ProgressLine(stream)
    progress(0, 3, 0)
    progress(2, 3, 1)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert lines[1].startswith("2/3 graded, 1 not graded cleanly, ") and lines[1].endswith(" s left")


def test_progress_redraws_one_bar_on_a_terminal_and_ends_the_line_when_done():
    stream = FakeTerminal()
    progress = cli.ProgressLine(stream)
    progress(1, 4, 0)
    assert stream.getvalue().startswith("\r[######                  ] 1/4 graded") and "\n" not in stream.getvalue()
    progress(4, 4, 2)
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith("[########################] 4/4 graded, 2 not graded cleanly") and last.endswith("\n")
