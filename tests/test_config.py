"""candor.toml: the template parses, and every invalid file is a ConfigError that says where and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.config import (
    CONFIG_NAME,
    Config,
    config_template,
    find_config,
    load_config,
    parse_config,
)
from candor.errors import ConfigError

VALID = """\
[project]
name = "churn"
goal = "flag customers likely to leave"

[data]
source = "data/customers.csv"
target = "churned"
group = "customer_id"
test_size = 0.2
seed = 7

[metric]
primary = "roc_auc"
secondary = ["accuracy", "brier"]
min_acceptable = 0.8

[costs]
false_positive = 1.0
false_negative = 20.0
"""


def _config_error(text: str, path: Path = Path("/proj/candor.toml")) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path)
    return str(info.value)


def _line_number(text: str, startswith: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(startswith))


@pytest.mark.parametrize(
    ("source", "target", "primary"),
    [
        ("sklearn:breast_cancer", "target", "roc_auc"),
        ("sklearn:diabetes", "target", "rmse"),
        ("data/train.parquet", "label", "accuracy"),
    ],
)
def test_init_template_parses_into_the_values_given(source: str, target: str, primary: str) -> None:
    cfg = parse_config(config_template("demo", source, target, primary), Path(CONFIG_NAME))
    assert cfg.project.name == "demo"
    assert (cfg.data.source, cfg.data.target, cfg.metric.primary) == (source, target, primary)
    assert cfg.data.test_size == 0.25
    assert cfg.metric.level == 0.95
    assert cfg.costs is None


def test_a_full_file_parses_with_every_section() -> None:
    cfg = parse_config(VALID, Path(CONFIG_NAME))
    assert cfg.data.group == "customer_id"
    assert (cfg.data.test_size, cfg.data.seed) == (0.2, 7)
    assert cfg.metric.secondary == ["accuracy", "brier"]
    assert cfg.costs is not None and cfg.costs.false_negative == 20.0


def test_optional_sections_take_their_defaults() -> None:
    cfg = parse_config('[project]\nname = "p"\n[data]\nsource = "a.csv"\ntarget = "y"\n', Path("c"))
    assert isinstance(cfg, Config)
    assert cfg.metric.primary == "roc_auc"
    assert cfg.metric.n_resamples == 10_000
    assert cfg.budgets.model_mb is None
    assert cfg.tracking.uri is None


def test_unknown_key_names_the_key_the_file_its_line_and_the_nearest_valid_key() -> None:
    text = VALID.replace('target = "churned"', 'targte = "churned"')
    message = _config_error(text, Path("/proj/candor.toml"))
    line = _line_number(text, "targte")
    assert "'data.targte'" in message
    assert f"/proj/candor.toml:{line}:" in message
    assert "Did you mean 'data.target'?" in message


def test_unknown_key_message_lists_the_valid_keys_of_its_section() -> None:
    message = _config_error(VALID.replace("seed = 7", "seed = 7\nsplit = 'random'"))
    assert "unknown key 'data.split'" in message
    assert "source, target, group, time, task, test_size, seed" in message


def test_unknown_section_is_rejected_with_the_nearest_section() -> None:
    message = _config_error(VALID + "\n[budget]\nmodel_mb = 100\n")
    assert "unknown key 'budget'" in message
    assert "Did you mean 'budgets'?" in message
    assert "/proj/candor.toml" in message


def test_unknown_section_message_names_its_line() -> None:
    text = VALID + "\n[budget]\nmodel_mb = 100\n"
    line = _line_number(text, "[budget]")
    assert f"/proj/candor.toml:{line}:" in _config_error(text)


def test_wrong_type_names_the_key_its_line_and_the_bad_value() -> None:
    text = VALID.replace("test_size = 0.2", 'test_size = "big"')
    message = _config_error(text)
    assert f"/proj/candor.toml:{_line_number(text, 'test_size')}:" in message
    assert "data.test_size" in message
    assert "'big'" in message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("test_size = 0.2", "test_size = 1.5", "data.test_size"),
        ("false_positive = 1.0", "false_positive = -1.0", "costs.false_positive"),
        ('primary = "roc_auc"', 'primary = "roc_auc"\nn_resamples = 10', "metric.n_resamples"),
        ("seed = 7", 'seed = 7\ntask = "ranking"', "data.task"),
    ],
)
def test_out_of_range_or_unknown_choice_is_a_config_error(old: str, new: str, key: str) -> None:
    assert key in _config_error(VALID.replace(old, new))


def test_missing_required_key_names_the_key_and_its_section_line() -> None:
    text = VALID.replace('target = "churned"\n', "")
    message = _config_error(text)
    assert "required key 'data.target' is missing" in message
    assert f"/proj/candor.toml:{_line_number(text, '[data]')}:" in message


def test_missing_required_section_is_a_config_error() -> None:
    message = _config_error('[project]\nname = "p"\n')
    assert "required key 'data' is missing" in message


def test_invalid_toml_is_a_config_error_naming_the_file() -> None:
    message = _config_error('[project]\nname = "unterminated\n')
    assert "/proj/candor.toml" in message
    assert "not valid TOML" in message


@pytest.mark.parametrize(
    ("old", "new", "bad", "near"),
    [
        ('primary = "roc_auc"', 'primary = "roc_acu"', "roc_acu", "roc_auc"),
        ('["accuracy", "brier"]', '["acuracy"]', "acuracy", "accuracy"),
    ],
)
def test_unknown_metric_is_rejected_with_the_nearest_known_one(
    old: str, new: str, bad: str, near: str
) -> None:
    message = _config_error(VALID.replace(old, new))
    assert f"unknown metric {bad!r}" in message
    assert f"did you mean {near!r}?" in message


def test_load_config_reads_a_folder_or_a_file(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(VALID, encoding="utf-8")
    assert load_config(tmp_path) == load_config(tmp_path / CONFIG_NAME)


def test_load_config_without_a_file_tells_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="candor init"):
        load_config(tmp_path)


def test_load_config_names_the_real_path_in_errors(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(VALID.replace("seed = 7", "sed = 7"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert f"{tmp_path / CONFIG_NAME}:{_line_number(VALID, 'seed')}:" in str(info.value)


def test_find_config_walks_up_to_the_nearest_file(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (tmp_path / CONFIG_NAME).write_text(VALID, encoding="utf-8")
    assert find_config(deep) == tmp_path / CONFIG_NAME
    (tmp_path / "a" / CONFIG_NAME).write_text(VALID, encoding="utf-8")
    assert find_config(deep) == tmp_path / "a" / CONFIG_NAME
    assert find_config(tmp_path) == tmp_path / CONFIG_NAME


@pytest.mark.parametrize(
    ("name", "source"),
    [("churn", r"data\train.csv"), ('acme "churn"', "sklearn:breast_cancer")],
    ids=["windows-path", "quoted-name"],
)
def test_template_reads_back_the_values_given(name: str, source: str) -> None:
    cfg = parse_config(config_template(name, source, "y"), Path(CONFIG_NAME))
    assert (cfg.project.name, cfg.data.source) == (name, source)
