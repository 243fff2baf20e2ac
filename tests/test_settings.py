"""The settings registry (``evaluation/settings.py``): defaults, the environment, refusals, docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation import settings
from evaluation.errors import EvaluationError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_the_financial_year_starts_in_april_by_default() -> None:
    assert settings.financial_year_start({}) == 4
    assert settings.financial_year_start({"EVALUATION_FINANCIAL_YEAR_START": "  "}) == 4


@pytest.mark.parametrize(("text", "month"), [("1", 1), ("7", 7), (" 12 ", 12)])
def test_the_environment_sets_the_start_month(text: str, month: int) -> None:
    assert settings.financial_year_start({"EVALUATION_FINANCIAL_YEAR_START": text}) == month


def test_os_environ_is_read_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALUATION_FINANCIAL_YEAR_START", "10")
    assert settings.financial_year_start() == 10
    monkeypatch.delenv("EVALUATION_FINANCIAL_YEAR_START")
    assert settings.financial_year_start() == 4


@pytest.mark.parametrize("text", ["0", "13", "-4", "April", "4.5", "x" * 300])
def test_a_bad_value_is_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(settings.SettingError) as caught:
        settings.financial_year_start({"EVALUATION_FINANCIAL_YEAR_START": text})
    message = str(caught.value)
    assert message.startswith("EVALUATION_FINANCIAL_YEAR_START must be a month number from 1")
    assert "default, 4." in message
    assert len(message) < 200  # a pasted paragraph is not echoed whole
    assert isinstance(caught.value, EvaluationError) and isinstance(caught.value, ValueError)


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(settings.SettingError, match="financial_year_start"):
        settings.value("page_size")


def test_every_setting_is_declared_once_with_its_variable() -> None:
    names = [s.name for s in settings.SETTINGS]
    assert len(names) == len(set(names))
    for s in settings.SETTINGS:
        assert s.env == "EVALUATION_" + s.name.upper()
        assert s.description.endswith(".")
        assert isinstance(s.default, s.type)
        assert s.parse(str(s.default)) == s.default


def test_the_docs_list_every_setting_as_declared() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for s in settings.SETTINGS:
        row = f"| `{s.name}` | `{s.env}` | `{s.default}` | {s.description} |"
        assert row in text, f"docs/settings.md lacks or misstates {s.name}"
