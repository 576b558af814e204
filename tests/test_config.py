"""devmetrics.config: sources and their precedence, every refusal's file/key/line, origins, reference."""

from __future__ import annotations

import dataclasses
import re
import tempfile
import textwrap
import tomllib
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devmetrics.config import (
    Config,
    PrivacyConfig,
    RepoConfig,
    ScanConfig,
    config_reference,
    effective_values,
    load_config,
)
from devmetrics.errors import EXIT_USAGE, ConfigError


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh current folder, so that messages name files as the user sees them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` (dedented; its first line is line 1) and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def refusal(folder: Path, text: str, name: str = "devmetrics.toml") -> str:
    write(folder, name, text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert caught.value.exit_code == EXIT_USAGE
    message = str(caught.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------------ sources


def test_defaults_when_no_file(here: Path) -> None:
    config = load_config()

    assert config == Config()
    assert config.source == "defaults"
    assert set(config.origins.values()) == {"default"}
    assert list(config.origins) == [key for key, *_ in effective_values(config)]


def test_devmetrics_toml_wins_over_pyproject(here: Path) -> None:
    write(here, "devmetrics.toml", "[scan]\nworkers = 3\n")
    write(here, "pyproject.toml", "[tool.devmetrics.scan]\nworkers = 7\nchunk_size = 500\n")

    config = load_config()

    assert config.source == "devmetrics.toml"
    assert config.scan == ScanConfig(workers=3)  # nothing merged from pyproject.toml


def test_pyproject_tool_devmetrics_table(here: Path) -> None:
    write(
        here,
        "pyproject.toml",
        """
        [project]
        name = "demo"

        [tool.devmetrics.scan]
        executor = "thread"

        [[tool.devmetrics.repos]]
        path = "https://example.invalid/demo.git"
        """,
    )

    config = load_config()

    assert config.source == "pyproject.toml"
    assert config.scan.executor == "thread"
    assert config.repos == (RepoConfig(path="https://example.invalid/demo.git"),)
    assert config.origins["scan.executor"] == "pyproject.toml:5"
    assert config.origins["repos[0].path"] == "pyproject.toml:8"
    assert config.origins["repos[0].name"] == "default"


def test_pyproject_without_the_table_gives_defaults(here: Path) -> None:
    write(here, "pyproject.toml", '[project]\nname = "demo"\n[tool.ruff]\nline-length = 100\n')

    config = load_config()

    assert config == Config()
    assert config.source == "defaults"


def test_explicit_path_wins_over_the_folder(here: Path) -> None:
    write(here, "devmetrics.toml", "[report]\ntitle = 'folder'\n")
    write(here, "conf/team.toml", "# team settings\n[report]\ntitle = 'explicit'\n")

    config = load_config(Path("conf/team.toml"))

    assert config.report.title == "explicit"
    assert config.source == "conf/team.toml"
    assert config.origins["report.title"] == "conf/team.toml:3"


def test_explicit_pyproject_reads_its_table(here: Path) -> None:
    write(here, "sub/pyproject.toml", "[tool.devmetrics.privacy]\nmin_group_size = 3\n")

    config = load_config(Path("sub/pyproject.toml"))

    assert config.privacy == PrivacyConfig(min_group_size=3)


def test_explicit_pyproject_without_the_table_is_refused(here: Path) -> None:
    write(here, "pyproject.toml", '[project]\nname = "demo"\n')

    with pytest.raises(
        ConfigError, match=re.escape("pyproject.toml: no [tool.devmetrics] table; add one or check the --config path")
    ):
        load_config(Path("pyproject.toml"))


def test_cwd_names_the_folder_to_search(tmp_path: Path) -> None:
    write(tmp_path, "devmetrics.toml", "[scan]\nall_refs = true\n")

    config = load_config(cwd=tmp_path)

    assert config.scan.all_refs is True
    assert config.source == str(tmp_path / "devmetrics.toml")
    assert config.origins["scan.all_refs"] == f"{tmp_path / 'devmetrics.toml'}:2"


def test_empty_file_gives_defaults_read_from_it(here: Path) -> None:
    write(here, "devmetrics.toml", "# nothing configured yet\n")

    config = load_config()

    assert config == dataclasses.replace(Config(), source="devmetrics.toml")


# ------------------------------------------------------------------------------------ refusals


def test_invalid_toml_names_the_file_and_keeps_tomllib_position(here: Path) -> None:
    message = refusal(here, "[scan]\nworkers = 2\nexecutor thread\n")

    assert message.startswith("devmetrics.toml: invalid TOML (Expected '=' after a key")
    assert message.endswith("(at line 3, column 10)); fix the file")


def test_unknown_key_suggests_the_close_one(here: Path) -> None:
    message = refusal(
        here,
        """
        [scan]
        workers = 2

        chunksize = 500
        """,
    )

    assert message == "devmetrics.toml:4: unknown key scan.chunksize; did you mean scan.chunk_size?"


def test_unknown_key_without_a_close_one(here: Path) -> None:
    message = refusal(here, "[report]\ncolour = 'blue'\n")

    assert message == "devmetrics.toml:2: unknown key report.colour"


def test_unknown_section(here: Path) -> None:
    message = refusal(here, "[scan]\nworkers = 1\n[reports]\nout = 'x'\n")

    assert message == "devmetrics.toml:3: unknown key reports; did you mean report?"


def test_loader_fields_are_not_keys(here: Path) -> None:
    message = refusal(here, "source = 'elsewhere'\n")

    assert message == "devmetrics.toml:1: unknown key source"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('workers = "4"', 'scan.workers must be an integer, not string "4"'),
        ("workers = true", "scan.workers must be an integer, not boolean true"),
        ("workers = 4.0", "scan.workers must be an integer, not float 4.0"),
        ("all_refs = 1", "scan.all_refs must be a boolean (true or false), not integer 1"),
        ('detect_renames = "yes"', 'scan.detect_renames must be a boolean (true or false), not string "yes"'),
        ("db = 3", "scan.db must be a string, not integer 3"),
        ("db = ['a.db']", "scan.db must be a string, not an array"),
        ("db = {name = 'a.db'}", "scan.db must be a string, not a table"),
        ("db = 1979-05-27", "scan.db must be a string, not date 1979-05-27"),
        (
            "dask_address = 1979-05-27T07:32:00",
            "scan.dask_address must be a string, not date-time 1979-05-27T07:32:00",
        ),
    ],
)
def test_wrong_type(here: Path, line: str, problem: str) -> None:
    message = refusal(here, f"[scan]\n\n{line}\n")

    assert message == f"devmetrics.toml:3: {problem}"


def test_long_strings_are_shortened_in_messages(here: Path) -> None:
    message = refusal(here, f"[scan]\nworkers = '{'8' * 100}'\n")

    assert message == f'devmetrics.toml:2: scan.workers must be an integer, not string "{"8" * 40}..."'


def test_section_must_be_a_table(here: Path) -> None:
    assert refusal(here, "scan = 3\n") == "devmetrics.toml:1: scan must be a table, not integer 3"


def test_repos_must_be_an_array_of_tables(here: Path) -> None:
    message = refusal(here, "[scan]\nworkers = 1\n[repos]\npath = '.'\n")

    assert message == "devmetrics.toml:3: repos must be an array of tables ([[repos]]), not a table"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("chunk_size = 5", "scan.chunk_size must be between 100 and 100000, not 5"),
        ("chunk_size = 100001", "scan.chunk_size must be between 100 and 100000, not 100001"),
        ("workers = -1", "scan.workers must be at least 0, not -1"),
        ("rename_threshold = 0", "scan.rename_threshold must be between 1 and 100, not 0"),
        ('executor = "spark"', 'scan.executor must be one of process, thread, dask, not "spark"'),
        ('db = ""', "scan.db must not be empty"),
    ],
)
def test_value_out_of_range_or_not_a_choice(here: Path, line: str, problem: str) -> None:
    message = refusal(here, f"# devmetrics\n\n\n[scan]\n\n{line}\n")

    assert message == f"devmetrics.toml:6: {problem}"


def test_range_limits_themselves_are_accepted(here: Path) -> None:
    write(here, "devmetrics.toml", "[scan]\nchunk_size = 100\nrename_threshold = 100\n")

    assert load_config().scan == ScanConfig(chunk_size=100, rename_threshold=100)


def test_missing_required_key_names_the_entry(here: Path) -> None:
    message = refusal(
        here,
        """
        [scan]
        workers = 2

        [[repos]]
        path = "../api"
        name = "api"

        # the web front end
        [[repos]]
        name = "web"
        """,
    )

    assert message == "devmetrics.toml:9: repos[1].path is required"


def test_unknown_key_in_an_array_entry(here: Path) -> None:
    message = refusal(here, "[[repos]]\npath = 'a'\n\n[[repos]]\npaht = 'b'\n")

    assert message == "devmetrics.toml:5: unknown key repos[1].paht; did you mean repos[1].path?"


def test_empty_required_string_is_refused(here: Path) -> None:
    assert refusal(here, "[[repos]]\npath = ''\n") == "devmetrics.toml:2: repos[0].path must not be empty"


def test_pyproject_errors_use_the_full_dotted_key(here: Path) -> None:
    message = refusal(
        here,
        """
        [project]
        name = "demo"

        [tool.devmetrics.scan]
        chunk_size = 5
        """,
        name="pyproject.toml",
    )

    assert message == ("pyproject.toml:5: tool.devmetrics.scan.chunk_size must be between 100 and 100000, not 5")


def test_pyproject_unknown_key_suggests_the_full_dotted_key(here: Path) -> None:
    message = refusal(here, "[tool.devmetrics]\nscan.chunksize = 500\n", name="pyproject.toml")

    assert message == (
        "pyproject.toml:2: unknown key tool.devmetrics.scan.chunksize; did you mean tool.devmetrics.scan.chunk_size?"
    )


def test_pyproject_table_must_be_a_table(here: Path) -> None:
    message = refusal(here, "[tool]\ndevmetrics = 3\n", name="pyproject.toml")

    assert message == "pyproject.toml:2: tool.devmetrics must be a table, not integer 3"


def test_invalid_pyproject_is_refused_even_without_our_table(here: Path) -> None:
    message = refusal(here, "[project\n", name="pyproject.toml")

    assert message.startswith("pyproject.toml: invalid TOML (")


def test_explicit_path_not_found(here: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(Path("missing.toml"))

    assert str(caught.value) == "missing.toml: config file not found; check the --config path"
    assert caught.value.exit_code == EXIT_USAGE


def test_explicit_path_is_a_folder(here: Path) -> None:
    (here / "conf").mkdir()

    with pytest.raises(ConfigError, match=r"^conf: is a folder, not a config file; check the --config path$"):
        load_config(Path("conf"))


def test_explicit_path_unreadable(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(here, "locked.toml", "[scan]\n")

    def refuse_to_read(path: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(path))

    # Tests may run as root, which reads any file whatever its mode.
    monkeypatch.setattr(Path, "read_bytes", refuse_to_read)

    with pytest.raises(ConfigError) as caught:
        load_config(Path("locked.toml"))

    assert str(caught.value) == ("locked.toml: config file cannot be read (Permission denied); check the --config path")


def test_not_utf8_names_the_byte_and_its_position(here: Path) -> None:
    (here / "devmetrics.toml").write_bytes(b'[report]\ntitle = "caf\xe9"\n')

    with pytest.raises(ConfigError) as caught:
        load_config()

    assert str(caught.value) == (
        "devmetrics.toml: not UTF-8 text (byte 0xe9 at line 2, column 13); save the file as UTF-8"
    )


def test_byte_order_mark_is_accepted(here: Path) -> None:
    (here / "devmetrics.toml").write_bytes(b"\xef\xbb\xbf[report]\ntitle = 'bom'\n")

    assert load_config().report.title == "bom"


# ------------------------------------------------------------------------------------ finding lines


def test_lines_inside_multiline_strings_are_not_keys(here: Path) -> None:
    message = refusal(
        here,
        '''
        [report]
        title = """
        [scan]
        chunk_size = 1
        """
        out = \'\'\'
        [[repos]] \'\'\'
        [scan]
        db = "x.db"  # [not a header]
        chunk_size = 5
        ''',
    )

    assert message == "devmetrics.toml:10: scan.chunk_size must be between 100 and 100000, not 5"


def test_multiline_string_ending_in_quotes(here: Path) -> None:
    message = refusal(
        here,
        '''
        [report]
        title = """a "quoted" title""""
        [scan]
        workers = "4"
        ''',
    )

    assert message == 'devmetrics.toml:4: scan.workers must be an integer, not string "4"'


def test_dotted_and_quoted_keys(here: Path) -> None:
    write(here, "devmetrics.toml", '# top\nscan.workers = 2\n[report]\n"title" = "quoted key"\n')

    config = load_config()

    assert (config.scan.workers, config.report.title) == (2, "quoted key")
    assert config.origins["scan.workers"] == "devmetrics.toml:2"
    assert config.origins["report.title"] == "devmetrics.toml:4"


def test_inline_tables_fall_back_to_the_line_of_the_array(here: Path) -> None:
    message = refusal(
        here,
        """
        # repositories as inline tables

        repos = [
          { path = "a" },
          { name = "b" },
        ]
        """,
    )

    assert message == "devmetrics.toml:3: repos[1].path is required"


def test_windows_line_endings(here: Path) -> None:
    (here / "devmetrics.toml").write_bytes(b"# settings\r\n[scan]\r\nworkers = '2'\r\n")

    with pytest.raises(ConfigError, match=r"^devmetrics\.toml:3: scan\.workers must be an integer"):
        load_config()


def test_multiline_arrays_and_comments_keep_counting(here: Path) -> None:
    write(
        here,
        "devmetrics.toml",
        """
        repos = [
          { path = "a" },  # [scan]
          { path = "b", name = "[[x]]" },
        ]

        [scan]
        workers = 4
        """,
    )

    config = load_config()

    assert [repo.name for repo in config.repos] == ["", "[[x]]"]
    assert config.origins["repos[1].name"] == "devmetrics.toml:1"
    assert config.origins["scan.workers"] == "devmetrics.toml:7"


# ------------------------------------------------------------------------------------ values and origins


def test_arrays_of_tables(here: Path) -> None:
    write(
        here,
        "devmetrics.toml",
        """
        [[repos]]
        path = "../api"

        [[repos]]
        path = "https://example.invalid/web.git"
        name = "web"
        """,
    )

    config = load_config()

    assert config.repos == (
        RepoConfig(path="../api"),
        RepoConfig(path="https://example.invalid/web.git", name="web"),
    )
    assert config.origins["repos[0].path"] == "devmetrics.toml:2"
    assert config.origins["repos[1].path"] == "devmetrics.toml:5"
    assert config.origins["repos[1].name"] == "devmetrics.toml:6"
    assert config.origins["repos[0].name"] == "default"


def test_origins_tell_default_from_file_line(here: Path) -> None:
    write(here, "devmetrics.toml", "[scan]\n\nchunk_size = 300\n")

    origins = load_config().origins

    assert origins["scan.chunk_size"] == "devmetrics.toml:3"
    assert origins["scan.workers"] == "default"
    assert origins["repos"] == "default"


def test_config_is_frozen_and_hashable_and_origins_read_only(here: Path) -> None:
    write(here, "devmetrics.toml", "[scan]\nworkers = 2\n")
    config = load_config()

    with pytest.raises(dataclasses.FrozenInstanceError):
        config.scan = ScanConfig()  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.origins["scan.workers"] = "elsewhere"  # type: ignore[index]
    assert hash(config) == hash(dataclasses.replace(config, origins={}))
    assert {config: "usable as a key"}[config] == "usable as a key"


def test_effective_values_list_every_leaf_with_literal_origin_and_doc(here: Path) -> None:
    write(here, "devmetrics.toml", '[report]\ntitle = "Q3 \\"review\\""\n[[repos]]\npath = "api"\n')

    values = {key: (value, origin, doc) for key, value, origin, doc in effective_values(load_config())}

    assert values["report.title"][:2] == ('"Q3 \\"review\\""', "devmetrics.toml:2")
    assert values["repos[0].path"][:2] == ('"api"', "devmetrics.toml:4")
    assert values["repos[0].name"][:2] == ('""', "default")
    assert values["scan.chunk_size"] == (
        "2000",
        "default",
        "commits read by one git process and written in one transaction (between 100 and 100000)",
    )
    assert values["scan.executor"][2].endswith("(one of process, thread, dask)")
    assert values["scan.detect_renames"][0] == "true"
    assert "repos" not in values


def test_effective_values_show_empty_repos(here: Path) -> None:
    values = {key: (value, origin) for key, value, origin, _doc in effective_values(load_config())}

    assert values["repos"] == ("[]", "default")


# ------------------------------------------------------------------------------------ reference


def schema_keys(cls: type[Any], key: str = "") -> list[str]:
    """Every key of the schema, found independently of the module's own walk."""
    keys: list[str] = []
    hints = get_type_hints(cls)
    for spec in dataclasses.fields(cls):
        if spec.metadata.get("internal"):
            continue
        hint = hints[spec.name]
        child = f"{key}.{spec.name}" if key else spec.name
        if dataclasses.is_dataclass(hint):
            keys += schema_keys(hint, child)  # type: ignore[arg-type]
        elif get_origin(hint) is tuple and dataclasses.is_dataclass(get_args(hint)[0]):
            keys += [child, *schema_keys(get_args(hint)[0], f"{child}[]")]
        else:
            assert hint in (str, int, float, bool, tuple[str, ...]), f"{child}: unsupported type {hint}"
            keys.append(child)
    return keys


def all_fields(cls: type[Any]) -> list[dataclasses.Field[Any]]:
    found = list(dataclasses.fields(cls))
    hints = get_type_hints(cls)
    for spec in dataclasses.fields(cls):
        hint = hints[spec.name]
        inner = get_args(hint)[0] if get_origin(hint) is tuple else hint
        if isinstance(inner, type) and dataclasses.is_dataclass(inner):
            found += all_fields(inner)
    return found


def test_config_reference_covers_every_dataclass_leaf() -> None:
    reference = config_reference()

    assert [key for key, _default, _doc in reference] == schema_keys(Config)
    defaults = {key: default for key, default, _doc in reference}
    assert defaults["scan.db"] == '"devmetrics.db"'
    assert defaults["scan.all_refs"] == "false"
    assert defaults["repos"] == "[]"
    assert defaults["repos[].path"] == "(required)"
    for key, default, _doc in reference:
        if default != "(required)":
            assert tomllib.loads(f"value = {default}")["value"] is not None, key


def test_every_field_has_a_one_line_doc() -> None:
    for spec in all_fields(Config):
        doc = spec.metadata.get("doc")
        assert isinstance(doc, str), spec.name
        assert doc and "\n" not in doc, spec.name


# ------------------------------------------------------------------------------------ round trip

SAFE_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)  # no lone surrogates: files are UTF-8


def table_strategy(cls: type[Any]) -> st.SearchStrategy[dict[str, object]]:
    """Valid TOML tables for a config dataclass, generated from its fields and their constraints."""
    required: dict[str, st.SearchStrategy[object]] = {}
    optional: dict[str, st.SearchStrategy[object]] = {}
    hints = get_type_hints(cls)
    for spec in dataclasses.fields(cls):
        if spec.metadata.get("internal"):
            continue
        strategy = value_strategy(hints[spec.name], spec.metadata)
        missing = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        (required if missing else optional)[spec.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def value_strategy(hint: object, metadata: Any) -> st.SearchStrategy[Any]:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return table_strategy(hint)
    if get_origin(hint) is tuple and get_args(hint) == (str, Ellipsis):
        return st.lists(SAFE_TEXT, max_size=3).map(tuple)
    if get_origin(hint) is tuple:
        return st.lists(table_strategy(get_args(hint)[0]), max_size=3)
    if hint is float:
        return st.floats(metadata.get("min", -1e9), metadata.get("max", 1e9), allow_nan=False, allow_infinity=False)
    if metadata.get("date"):
        return st.one_of(st.just(""), st.dates().map(lambda day: day.isoformat()))
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(metadata.get("min", -(2**63)), metadata.get("max", 2**63 - 1))
    if "choices" in metadata:
        return st.sampled_from(metadata["choices"])
    return SAFE_TEXT.filter(bool) if metadata.get("nonempty") else SAFE_TEXT


def toml_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    assert isinstance(value, str)
    escaped = "".join(f"\\u{ord(char):04x}" if char < " " or char in '"\\\x7f' else char for char in value)
    return f'"{escaped}"'


def write_toml(document: dict[str, Any], root: str, dotted: bool) -> tuple[str, dict[str, int]]:
    """A tiny TOML writer: the text, and the line of each scalar key (``repos[1].path``)."""
    out: list[str] = ["[project]", 'name = "demo"', f"[{root}]"] if root else []
    lines: dict[str, int] = {}

    def emit(text: str, key: str) -> None:
        out.append(text)
        lines[key] = len(out)

    def body(table: dict[str, Any], header: str, key: str) -> None:
        def join(prefix: str, name: str) -> str:
            return f"{prefix}.{name}" if prefix else name

        for name, value in table.items():
            if not isinstance(value, dict | list):
                emit(f"{name} = {toml_literal(value)}", join(key, name))
        for name, value in table.items():
            if isinstance(value, dict) and dotted:
                for inner, scalar in value.items():
                    if not isinstance(scalar, list):  # arrays of tables inside get headers below
                        emit(f"{name}.{inner} = {toml_literal(scalar)}", join(join(key, name), inner))
            elif isinstance(value, dict):
                out.append(f"[{join(header, name)}]")
                body(value, join(header, name), join(key, name))
        for name, value in table.items():
            for index, entry in enumerate(value if isinstance(value, list) else []):
                out.append(f"[[{join(header, name)}]]")
                body(entry, join(header, name), f"{join(key, name)}[{index}]")
            for inner, entries in value.items() if isinstance(value, dict) and dotted else ():
                for index, entry in enumerate(entries if isinstance(entries, list) else []):
                    out.append(f"[[{join(join(header, name), inner)}]]")
                    body(entry, join(join(header, name), inner), f"{join(join(key, name), inner)}[{index}]")

    body(document, root, "")
    return "\n".join(out) + "\n", lines


def build(hint: Any, value: Any) -> Any:
    """The dataclass a generated table stands for, built without the loader."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = get_type_hints(hint)
        return hint(**{name: build(hints[name], item) for name, item in value.items()})
    if get_origin(hint) is tuple:
        return tuple(build(get_args(hint)[0], entry) for entry in value)
    return value


def scalar_keys(table: dict[str, Any], key: str = "") -> list[str]:
    keys: list[str] = []
    for name, value in table.items():
        child = f"{key}.{name}" if key else name
        if isinstance(value, dict):
            keys += scalar_keys(value, child)
        elif isinstance(value, list):
            for index, entry in enumerate(value):
                keys += scalar_keys(entry, f"{child}[{index}]")
        else:
            keys.append(child)
    return keys


def value_at(config: Config, key: str) -> object:
    """``repos[1].path`` -> config.repos[1].path; tuples come back as the lists TOML reads."""
    value: Any = config
    for name, index in re.findall(r"(\w+)|\[(\d+)\]", key):
        value = getattr(value, name) if name else value[int(index)]
    return list(value) if isinstance(value, tuple) else value


@settings(max_examples=50, deadline=None)
@given(document=table_strategy(Config), in_pyproject=st.booleans(), dotted=st.booleans())
def test_any_valid_config_loads_back_to_equal_values(
    document: dict[str, Any], in_pyproject: bool, dotted: bool
) -> None:
    text, lines = write_toml(document, "tool.devmetrics" if in_pyproject else "", dotted)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("pyproject.toml" if in_pyproject else "devmetrics.toml")
        path.write_text(text, encoding="utf-8")

        config = load_config(cwd=Path(folder))

    assert config == dataclasses.replace(build(Config, document), source=str(path))
    expected_origins = {key: f"{path}:{lines[key]}" for key in scalar_keys(document)}
    assert {key: origin for key, origin in config.origins.items() if origin != "default"} == expected_origins
    for key, literal, _origin, _doc in effective_values(config):
        assert tomllib.loads(f"value = {literal}")["value"] == value_at(config, key), key
