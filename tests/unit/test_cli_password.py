"""Where ``orderhub user create`` and ``user password`` take the password from."""

from __future__ import annotations

import argparse
import getpass

import pytest

from hub.cli import _password


def test_the_named_variable_is_read_and_nothing_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEW_PW", "from the environment")
    monkeypatch.setattr(getpass, "getpass", lambda prompt: pytest.fail(f"asked: {prompt}"))
    assert _password(argparse.Namespace(password_env="NEW_PW"), "Password: ") == "from the environment"


def test_an_unset_variable_gives_an_empty_password_for_the_length_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not a prompt: a script that names a variable it forgot to set must fail, not hang on a terminal.
    monkeypatch.delenv("NEW_PW", raising=False)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: pytest.fail(f"asked: {prompt}"))
    assert _password(argparse.Namespace(password_env="NEW_PW"), "Password: ") == ""


def test_without_a_variable_it_is_asked_for_with_the_given_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or "typed")
    assert _password(argparse.Namespace(password_env=None), "New password: ") == "typed"
    assert asked == ["New password: "]
