"""The YAML config: validation errors name the bad key, ${ENV} substitution, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config, masked, parse_config
from monitor.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_is_valid_and_realistic() -> None:
    cfg = load_config(ROOT / "config/monitor.example.yaml", environ={})
    platforms = {s.platform for s in cfg.sources}
    assert platforms == {"telegram", "x", "file"}
    tags = {t for s in cfg.sources for t in s.tags}
    assert {"militia", "government"} <= tags
    assert len({s.id for s in cfg.sources}) == len(cfg.sources)


@pytest.mark.parametrize(("data", "message"), [
    ({"sources": [{"id": "a", "platform": "telegram", "handel": "@x"}]}, "sources[0].handel: unknown key"),
    ({"sources": [{"id": "a", "platform": "icq", "handle": "x"}]}, "sources[0].platform: Input should be"),
    ({"sources": [{"id": "a", "platform": "telegram"}]}, "platform telegram needs 'handle'"),
    ({"sources": [{"id": "a", "platform": "file", "path": "x"}, {"id": "a", "platform": "file", "path": "y"}]},
     "duplicate source id 'a'"),
    ({"service": {"health_port": "eighty"}}, "service.health_port: Input should be a valid integer"),
    ({"routes": [{"sinks": ["pager"]}]}, "routes[0].sinks[0]: Input should be"),
    ({"sinks": {"slack": {"rate_per_minute": -1}}}, "sinks.slack.rate_per_minute: Input should be greater than 0"),
    ({"servcie": {}}, "servcie: unknown key"),
    (["a", "list"], "the top level must be a mapping"),
])
def test_errors_name_the_key(data: object, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(data, "cfg.yaml", environ={})
    assert message in str(err.value)
    assert str(err.value).startswith("cfg.yaml: ")


def test_env_substitution_defaults_and_missing() -> None:
    data = {"redis_url": "${REDIS_URL:-redis://localhost:6379/0}",
            "sources": [{"id": "tg", "platform": "telegram", "handle": "${CHANNEL}", "tags": ["${TAG:-militia}"]}]}
    cfg = parse_config(data, environ={"CHANNEL": "@sabreenS1"})
    assert cfg.redis_url == "redis://localhost:6379/0"
    assert cfg.sources[0].handle == "@sabreenS1" and cfg.sources[0].tags == ["militia"]
    with pytest.raises(ConfigError, match=r"sources\[0\].handle: environment variable CHANNEL is not set"):
        parse_config(data, environ={})


def test_masked_hides_values_from_secret_variables_and_url_passwords() -> None:
    data = {"redis_url": "redis://:hunter2@redis:6379/0",
            "sinks": {"slack": {"enabled": True, "channel": "${SLACK_BOT_TOKEN}"}}}
    cfg = parse_config(data, environ={"SLACK_BOT_TOKEN": "xoxb-secret"})
    shown = str(masked(cfg))
    assert "hunter2" not in shown and "xoxb-secret" not in shown
    assert masked(cfg)["sinks"]["slack"]["channel"] == "***"
    settings = Settings.from_env({"SMTP_PASSWORD": "pw", "REDIS_URL": "redis://u:pw2@h/0", "SMTP_HOST": "mail"})
    assert settings.masked()["smtp_password"] == "***" and "pw2" not in str(settings.masked())
    assert settings.masked()["smtp_host"] == "mail"


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("service:\n  namespace: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid YAML \(line"):
        load_config(bad)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")


def test_config_check_command_masks_secrets_and_says_what_runs(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/very-secret-part",
           "X_BEARER_TOKEN": "AAAA-secret-bearer"}
    for var in ("TELEGRAM_API_ID", "TELEGRAM_API_HASH", "TELEGRAM_SESSION", "SMTP_HOST"):
        env.pop(var, None)
    out = subprocess.run([sys.executable, "-m", "monitor.cli", "config", "check", "-c",
                          str(ROOT / "config/monitor.example.yaml")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "very-secret-part" not in out.stdout and "AAAA-secret-bearer" not in out.stdout
    assert "x_abu_ali_al_askari: enabled" in out.stdout and "archive_drop: enabled" in out.stdout
    assert "tg_sabereen: 'disabled: missing TELEGRAM_API_ID" in out.stdout
    assert "email: 'disabled: email sink: SMTP_HOST is not set'" in out.stdout
    assert "other_languages: marked unsupported_language, no label (the shipped model's default)" in out.stdout
    for value, expected in (("classify", "labelled by the model's head"), ("sometimes", "error: MONITOR_OTHER_")):
        run = subprocess.run([sys.executable, "-m", "monitor.cli", "config", "check", "-c",
                              str(ROOT / "config/monitor.example.yaml")], cwd=ROOT, capture_output=True, text=True,
                             env={**env, "MONITOR_OTHER_LANGUAGES": value}, timeout=60)
        assert expected in run.stdout and run.returncode == (2 if value == "sometimes" else 0), run.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - {id: a, platform: telegram, handel: '@x'}\n", encoding="utf-8")
    err = subprocess.run([sys.executable, "-m", "monitor.cli", "config", "check", "-c", str(bad)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert err.returncode == 2 and "sources[0].handel: unknown key" in err.stderr and "Traceback" not in err.stderr
