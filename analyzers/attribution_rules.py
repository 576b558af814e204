"""Attribution rules as data: the built-in table, the configured additions, overrides and removals, and the
compiled matcher the analyzer runs over every commit.

A rule is a regular expression (case-insensitive; `^`/`$` anchor at line ends in the multi-line fields
`body` and `pr_body`) on one field of a commit or its pull request. A match is a piece of evidence: the
rule's class, tool and confidence, with the matched text. A rule whose `tool` is empty takes the tool from
the pattern's `tool` group (or the whole match), normalised to a known tool id when it names one; a `model`
group gives the model. Markers count only where a tool writes them: in trailers as git parses them (the
last paragraph), in identities, or in anchored places (a subject *starting* with `aider: `, a body *line*
starting with `Generated with [Claude Code]`), so quoted and reverted text does not match.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib
import json
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from devmetrics.errors import ConfigError

if TYPE_CHECKING:
    from devmetrics.config import AttributionConfig, AttributionRuleConfig

CLASSIFIER_VERSION = "1"
AI_AUTHORED = "ai-authored"
AI_ASSISTED = "ai-assisted"
BOT = "bot"
HUMAN = "human"
CLASSES = (AI_AUTHORED, AI_ASSISTED, BOT, HUMAN)
AI_CLASSES = (AI_AUTHORED, AI_ASSISTED)
TRAILER_PREFIX = "trailer:"
# Fields of a commit, then fields of its pull request (empty until pull-request data is stored).
COMMIT_FIELDS = ("author", "author_email", "committer", "committer_email", "subject", "body", "branch")
PR_FIELDS = ("label", "pr_body")
FIELDS = (*COMMIT_FIELDS, *PR_FIELDS)
MULTILINE_FIELDS = frozenset({"body", "pr_body"})
MAX_MATCH_SHOWN = 200
HIGH, MEDIUM_HIGH, MEDIUM, LOW = 0.95, 0.85, 0.7, 0.4


@dataclass(frozen=True)
class Rule:
    """One attribution rule. `field` is one of FIELDS or `trailer:<key>` (key compared case-insensitively)."""

    id: str
    field: str
    pattern: str
    cls: str
    tool: str = ""  # "" = from the pattern's `tool` group, else the whole match
    confidence: float = HIGH


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a commit got its class: a rule that matched `match` in `field` (or a label passed down by `via`)."""

    rule: str
    field: str
    match: str
    cls: str
    tool: str | None
    model: str | None
    confidence: float
    via: str = ""  # the merge commit a label came from; "" for the commit's own evidence

    def as_json(self) -> dict[str, object]:
        item: dict[str, object] = {
            "rule": self.rule,
            "field": self.field,
            "match": self.match,
            "class": self.cls,
            "tool": self.tool,
            "confidence": self.confidence,
        }
        if self.model:
            item["model"] = self.model
        if self.via:
            item["via"] = self.via
        return item

    @classmethod
    def from_json(cls, item: Mapping[str, object]) -> Evidence:
        tool, model = item.get("tool"), item.get("model")
        confidence = item.get("confidence", 0.0)
        return cls(
            rule=str(item.get("rule", "")),
            field=str(item.get("field", "")),
            match=str(item.get("match", "")),
            cls=str(item.get("class", HUMAN)),
            tool=None if tool is None else str(tool),
            model=None if model is None else str(model),
            confidence=float(confidence) if isinstance(confidence, (int, float)) else 0.0,
            via=str(item.get("via", "")),
        )


# --- tools --------------------------------------------------------------------------------------------

# A free-form tool name (from `Assisted-by:`, `Generated-by:`, `AI-Assisted:` or a free-text disclosure)
# is mapped to the first of these ids whose pattern it contains, so that "Claude Code (Opus 4.5)" in a
# trailer and the Claude Code co-author line count as one tool. Order matters: specific names first.
KNOWN_TOOLS: tuple[tuple[str, str], ...] = (
    (r"claude[ -]?code", "claude-code"),
    (r"claude", "claude"),
    (r"copilot", "copilot"),
    (r"aider", "aider"),
    (r"cursor", "cursor"),
    (r"codex", "codex"),
    (r"chat ?gpt|\bgpt-?\d|openai", "chatgpt"),
    (r"devin", "devin"),
    (r"jules", "jules"),
    (r"\bamp\b|ampcode", "amp"),
    (r"openhands|all-hands", "openhands"),
    (r"opencode", "opencode"),
    (r"replit", "replit"),
    (r"gemini", "gemini"),
    (r"amazon ?q\b|q developer", "amazon-q"),
    (r"sweep", "sweep"),
    (r"windsurf|codeium", "windsurf"),
    (r"tabnine", "tabnine"),
    (r"\bcody\b", "cody"),
    (r"\bllama\b|mistral|deepseek|qwen", "open-model"),
)
_KNOWN_TOOLS = tuple((re.compile(pattern, re.IGNORECASE), tool) for pattern, tool in KNOWN_TOOLS)
UNSPECIFIED_TOOL = "unspecified"
_NOT_A_NAME = frozenset({"", "true", "yes", "y", "1", "ai"})
_SLUG = re.compile(r"[^a-z0-9.]+")
MAX_TOOL_LENGTH = 40


def canonical_tool(name: str) -> str:
    """A tool id for a free-form name: a known tool it mentions, else the name as a slug."""
    for pattern, tool in _KNOWN_TOOLS:
        if pattern.search(name):
            return tool
    slug = _SLUG.sub("-", name.lower()).strip("-.")[:MAX_TOOL_LENGTH]
    return UNSPECIFIED_TOOL if slug in _NOT_A_NAME else slug


# --- the built-in table ---------------------------------------------------------------------------------

_NOREPLY = r"users\.noreply\.github\.com"
_AGENT_NAMES = r"claude|chat ?gpt|gpt|codex|copilot|gemini|aider|cursor|devin|jules|openhands|opencode|amp|windsurf"
_AI_EMAILS = (
    r"noreply@anthropic\.com|(?:noreply|codex)@openai\.com|cursoragent@cursor\.com|(?:aider|noreply)@aider\.(?:chat|dev)"
    r"|amp@ampcode\.com|openhands@all-hands\.dev|noreply@opencode\.ai|copilot@github\.com"
    rf"|\d+\+copilot@{_NOREPLY}"
)
_NEGATIVE = r"(?:no\b|none\b|not used\b|n/?a\b|false\b)"
# "Name <e-mail>" that names no AI tool: how a human is written in a trailer.
_PLAIN_PERSON = rf"(?!.*(?:{_AGENT_NAMES}|{_AI_EMAILS}))[^<]*<[^>]*>\s*$"
_DISCLOSURE_KEY = r"^AI[ -]?(?:usage|use|disclosure|assistance|tools?)[ \t]*:[ \t]*"


def _bot_author(login: str) -> str:
    """An author that is the GitHub App `login[bot]`: by name, or by its noreply e-mail (any numeric id)."""
    escaped = re.escape(login)
    return rf"^{escaped}\[bot\] <|<(?:\d+\+)?{escaped}\[bot\]@{_NOREPLY}>$"


def _rule(rule_id: str, field_name: str, pattern: str, cls: str, tool: str, confidence: float) -> Rule:
    return Rule(rule_id, field_name, pattern, cls, tool, confidence)


BUILTIN_RULES: tuple[Rule, ...] = (
    # Claude Code (CLI, web) and the Claude Code GitHub Action
    _rule(
        "claude-code.coauthor",
        "trailer:co-authored-by",
        r"^Claude\b(?: (?P<model>[^<]*?))?\s*<noreply@anthropic\.com>$",
        AI_ASSISTED,
        "claude-code",
        HIGH,
    ),
    _rule(
        "claude-code.footer",
        "body",
        r"^(?:🤖\s*)?Generated with \[Claude Code\]\(https://claude\.(?:ai/code|com/claude-code)\)",
        AI_ASSISTED,
        "claude-code",
        0.9,
    ),
    _rule(
        "claude-code.session",
        "trailer:claude-session",
        r"^https://claude\.ai/code/session_\w+",
        AI_ASSISTED,
        "claude-code",
        HIGH,
    ),
    _rule("claude-code-action.author", "author", _bot_author("claude"), AI_AUTHORED, "claude-code-action", HIGH),
    _rule(
        "claude-code-action.branch",
        "branch",
        r"^claude/(?:issue|pr)-\d+-\d{8}-\d{4}$",
        AI_AUTHORED,
        "claude-code-action",
        0.9,
    ),
    _rule(
        "claude-code.web-branch",
        "branch",
        r"^claude/(?!(?:issue|pr)-\d+-\d{8}-\d{4}$)[\w.-]+$",
        AI_AUTHORED,
        "claude-code",
        MEDIUM,
    ),
    # GitHub Copilot: coding agent (198982749), review suggestions and Autofix (175728472), IDE/CLI (223556219)
    _rule(
        "copilot-agent.author",
        "author",
        rf"^copilot-swe-agent\[bot\] <|<198982749\+copilot@{_NOREPLY}>$",
        AI_AUTHORED,
        "copilot-agent",
        HIGH,
    ),
    _rule(
        "copilot-agent.coauthor",
        "trailer:co-authored-by",
        rf"^copilot-swe-agent\[bot\]|<198982749\+copilot@{_NOREPLY}>$",
        AI_AUTHORED,
        "copilot-agent",
        0.9,
    ),
    _rule("copilot-agent.branch", "branch", r"^copilot/[\w.-]+$", AI_AUTHORED, "copilot-agent", MEDIUM_HIGH),
    _rule(
        "copilot.coauthor",
        "trailer:co-authored-by",
        rf"^Copilot(?: App)? <(?:223556219\+copilot@{_NOREPLY}|copilot@github\.com)>$",
        AI_ASSISTED,
        "copilot",
        MEDIUM,
    ),
    _rule(
        "copilot-review.coauthor",
        "trailer:co-authored-by",
        rf"^Copilot <175728472\+copilot@{_NOREPLY}>$",
        AI_ASSISTED,
        "copilot-review",
        0.9,
    ),
    _rule(
        "copilot-autofix.coauthor",
        "trailer:co-authored-by",
        rf"^Copilot Autofix\b[^<]*<175728472\+copilot@{_NOREPLY}>$",
        AI_ASSISTED,
        "copilot-autofix",
        0.9,
    ),
    # Aider: every regime (subject prefix, author suffix, co-author trailer) is one class, so that its
    # regime changes do not show up as a shift between classes; a committer-only suffix is a human commit.
    _rule("aider.author", "author", r"^(?P<name>.+) \(aider\) <", AI_ASSISTED, "aider", HIGH),
    _rule("aider.committer-only", "committer", r"^(?P<name>.+) \(aider\) <", HUMAN, "aider", 0.6),
    _rule("aider.subject", "subject", r"^aider: ", AI_ASSISTED, "aider", 0.9),
    _rule("aider.chat-body", "body", r"^# Aider chat conversation:", AI_ASSISTED, "aider", 0.9),
    _rule(
        "aider.coauthor",
        "trailer:co-authored-by",
        r"^aider \((?P<model>[^)]+)\) <(?:aider@aider\.chat|noreply@aider\.(?:chat|dev))>$",
        AI_ASSISTED,
        "aider",
        HIGH,
    ),
    # Cursor (editor, CLI) and the Cursor cloud agent
    _rule(
        "cursor.coauthor",
        "trailer:co-authored-by",
        r"^Cursor(?: Agent)? <cursoragent@cursor\.com>$",
        AI_ASSISTED,
        "cursor",
        HIGH,
    ),
    _rule("cursor.made-with", "trailer:made-with", r"^Cursor\b", AI_ASSISTED, "cursor", MEDIUM_HIGH),
    _rule("cursor-agent.author", "author", r"<cursoragent@cursor\.com>$", AI_AUTHORED, "cursor-agent", HIGH),
    _rule("cursor-agent.branch", "branch", r"^cursor/[\w.-]+-[0-9a-f]{4}$", AI_AUTHORED, "cursor-agent", 0.8),
    _rule(
        "cursor-agent.pr-body",
        "pr_body",
        r"cursor\.com/(?:agents/bc-[0-9a-f-]+|background-agent\?bcId=bc-)",
        AI_AUTHORED,
        "cursor-agent",
        0.9,
    ),
    _rule("cursor.pr-footer", "pr_body", r"^Made with \[Cursor\]\(https://cursor\.com\)", AI_ASSISTED, "cursor", 0.8),
    # OpenAI Codex (CLI, cloud, review bot)
    _rule(
        "codex.coauthor",
        "trailer:co-authored-by",
        r"^Codex <(?:noreply|codex)@openai\.com>$",
        AI_ASSISTED,
        "codex",
        MEDIUM_HIGH,
    ),
    _rule("codex.branch", "branch", r"^codex/[\w.-]+$", AI_AUTHORED, "codex", 0.75),
    _rule(
        "codex.pr-body",
        "pr_body",
        r"\[Codex Task\]\(https://chatgpt\.com/codex/tasks/task_e_[0-9a-f]+\)",
        AI_AUTHORED,
        "codex",
        0.9,
    ),
    _rule("codex-connector.author", "author", _bot_author("chatgpt-codex-connector"), AI_AUTHORED, "codex", 0.9),
    # Devin (agent, CLI)
    _rule(
        "devin.author",
        "author",
        rf"^Devin AI <|<(?:\d+\+)?devin-ai-integration\[bot\]@{_NOREPLY}>$",
        AI_AUTHORED,
        "devin",
        HIGH,
    ),
    _rule(
        "devin.coauthor",
        "trailer:co-authored-by",
        rf"<(?:\d+\+)?devin-ai-integration\[bot\]@{_NOREPLY}>$",
        AI_ASSISTED,
        "devin",
        0.9,
    ),
    _rule(
        "devin.footer",
        "body",
        r"^(?:🤖\s*)?Generated with \[Devin\]\(https://cli\.devin\.ai/docs\)",
        AI_ASSISTED,
        "devin",
        0.9,
    ),
    _rule("devin.branch", "branch", r"^devin/\d{9,}-[\w.-]+$", AI_AUTHORED, "devin", MEDIUM_HIGH),
    _rule(
        "devin.pr-body",
        "pr_body",
        r"Link to Devin (?:run|session): https://app\.devin\.ai/sessions/[0-9a-f]+",
        AI_AUTHORED,
        "devin",
        0.9,
    ),
    # Google Jules: an asynchronous agent, so a Jules co-author means Jules wrote the change
    _rule("jules.author", "author", _bot_author("google-labs-jules"), AI_AUTHORED, "jules", HIGH),
    _rule(
        "jules.coauthor",
        "trailer:co-authored-by",
        rf"<(?:\d+\+)?google-labs-jules\[bot\]@{_NOREPLY}>$",
        AI_AUTHORED,
        "jules",
        0.9,
    ),
    _rule(
        "jules.pr-body",
        "pr_body",
        r"PR created automatically by Jules for task \[\d+\]\(https://jules\.google\.com/task/\d+\)",
        AI_AUTHORED,
        "jules",
        0.9,
    ),
    # Amp (Sourcegraph)
    _rule(
        "amp.thread", "trailer:amp-thread-id", r"^https://ampcode\.com/threads/T-[0-9a-f-]+", AI_ASSISTED, "amp", HIGH
    ),
    _rule("amp.coauthor", "trailer:co-authored-by", r"^Amp <amp@ampcode\.com>$", AI_ASSISTED, "amp", HIGH),
    _rule("amp.thread-url", "body", r"https://ampcode\.com/threads/T-[0-9a-f-]{8,}", AI_ASSISTED, "amp", 0.6),
    # OpenHands: the agent as author (before 2025-08) or as co-author (after)
    _rule(
        "openhands.author",
        "author",
        r"^openhands <openhands@all-hands\.dev>$|^openhands-agent\b",
        AI_AUTHORED,
        "openhands",
        HIGH,
    ),
    _rule(
        "openhands.coauthor",
        "trailer:co-authored-by",
        r"^openhands <openhands@all-hands\.dev>$",
        AI_ASSISTED,
        "openhands",
        HIGH,
    ),
    # OpenCode
    _rule(
        "opencode.coauthor",
        "trailer:co-authored-by",
        r"^opencode <noreply@opencode\.ai>$",
        AI_ASSISTED,
        "opencode",
        HIGH,
    ),
    _rule(
        "opencode.footer",
        "body",
        r"^(?:🤖\s*)?Generated with \[opencode\]\(https://opencode\.ai\)",
        AI_ASSISTED,
        "opencode",
        0.9,
    ),
    # Replit: Agent and Assistant commits; Deployment commits are automation
    _rule("replit.agent", "trailer:replit-commit-author", r"^Agent\b", AI_AUTHORED, "replit", MEDIUM_HIGH),
    _rule("replit.assistant", "trailer:replit-commit-author", r"^Assistant\b", AI_ASSISTED, "replit", MEDIUM_HIGH),
    _rule("replit.deployment", "trailer:replit-commit-author", r"^Deployment\b", BOT, "replit", MEDIUM),
    # Gemini: no built-in trailer (users improvise one); Code Assist suggestions committed from a review
    _rule(
        "gemini.coauthor",
        "trailer:co-authored-by",
        r"^Gemini\b[^<]*<[^>]*@google\.com>$",
        AI_ASSISTED,
        "gemini",
        MEDIUM,
    ),
    _rule(
        "gemini-code-assist.coauthor",
        "trailer:co-authored-by",
        rf"^gemini-code-assist\[bot\]|<(?:\d+\+)?gemini-code-assist\[bot\]@{_NOREPLY}>$",
        AI_ASSISTED,
        "gemini-code-assist",
        0.9,
    ),
    # Amazon Q Developer agent and Sweep
    _rule("amazon-q.author", "author", _bot_author("amazon-q-developer"), AI_AUTHORED, "amazon-q", MEDIUM_HIGH),
    _rule("amazon-q.label", "label", r"^Amazon Q development agent$", AI_AUTHORED, "amazon-q", MEDIUM_HIGH),
    _rule("sweep.author", "author", _bot_author("sweep-ai"), AI_AUTHORED, "sweep", 0.9),
    _rule("sweep.branch", "branch", r"^sweep/[\w.-]+$", AI_AUTHORED, "sweep", 0.75),
    _rule("sweep.label", "label", r"^sweep$", AI_AUTHORED, "sweep", MEDIUM),
    # Trailers of standards and projects: the kernel's and Fedora's Assisted-by, OpenStack's and the ASF's
    # Generated-by (mostly machine-written work, hence ai-authored), devmetrics' own AI-Assisted, OpenLiberty's
    # Co-authored-by-AI, ad-hoc AI-Tool, and Co-developed-by only when it names an agent (the kernel uses it
    # for human co-authors, so "Claude Shannon <...>" must not match: the agent form carries a model version).
    _rule(
        "trailer.assisted-by",
        "trailer:assisted-by",
        rf"^(?!{_PLAIN_PERSON})(?P<tool>[^:]+?)(?::(?P<model>\S+).*)?$",
        AI_ASSISTED,
        "",
        0.9,
    ),
    _rule(
        "trailer.generated-by",
        "trailer:generated-by",
        r"^(?P<tool>[^(]+?)(?:\s*\((?P<model>[^)]+)\))?(?:\s+following\b.*)?\s*$",
        AI_AUTHORED,
        "",
        0.8,
    ),
    _rule(
        "trailer.ai-assisted",
        "trailer:ai-assisted",
        rf"^(?!{_NEGATIVE})(?P<tool>[^()]+?)(?:\s*\((?P<model>[^)]+)\))?\s*$",
        AI_ASSISTED,
        "",
        HIGH,
    ),
    _rule("trailer.ai-assisted-no", "trailer:ai-assisted", rf"^{_NEGATIVE}", HUMAN, "", HIGH),
    _rule(
        "trailer.co-authored-by-ai",
        "trailer:co-authored-by-ai",
        r"^(?P<tool>[^(<]+?)(?:\s*\((?P<model>[^)]+)\))?\s*(?:<[^>]*>)?\s*$",
        AI_ASSISTED,
        "",
        0.9,
    ),
    _rule("trailer.ai-tool", "trailer:ai-tool", r"^(?P<tool>\S.*)$", AI_ASSISTED, "", 0.8),
    _rule(
        "trailer.co-developed-by-agent",
        "trailer:co-developed-by",
        rf"^(?P<tool>{_AGENT_NAMES})\b[\s:-]*(?P<model>[\w.:-]*\d[\w.:-]*)|<(?:{_AI_EMAILS})>$",
        AI_ASSISTED,
        "",
        MEDIUM_HIGH,
    ),
    # Free-text disclosures (a line of the body): negatives are common; positives are weak evidence.
    _rule(
        "text.disclosure-negative",
        "body",
        rf"{_DISCLOSURE_KEY}{_NEGATIVE}|^no (?:AI|LLM|generative AI)(?: tools?| assistance)? (?:was|were) used\b",
        HUMAN,
        "",
        MEDIUM,
    ),
    _rule(
        "text.disclosure-positive", "body", rf"{_DISCLOSURE_KEY}(?!{_NEGATIVE})(?P<tool>\S.*)$", AI_ASSISTED, "", LOW
    ),
    # Automation that is not AI (its own class); the id 41898282 is also in some claude[bot] e-mails, so
    # bots are matched by login, never by numeric id alone.
    _rule(
        "bot.dependabot",
        "author",
        _bot_author("dependabot") + "|" + _bot_author("dependabot-preview"),
        BOT,
        "dependabot",
        HIGH,
    ),
    _rule("bot.renovate", "author", _bot_author("renovate") + r"|<bot@renovateapp\.com>$", BOT, "renovate", HIGH),
    _rule(
        "bot.github-actions",
        "author",
        _bot_author("github-actions") + r"|<actions@github\.com>$",
        BOT,
        "github-actions",
        HIGH,
    ),
    _rule("bot.pre-commit-ci", "author", _bot_author("pre-commit-ci"), BOT, "pre-commit-ci", HIGH),
    _rule("bot.allcontributors", "author", _bot_author("allcontributors"), BOT, "allcontributors", HIGH),
    _rule("bot.imgbot", "author", _bot_author("imgbot") + r"|^ImgBotApp <", BOT, "imgbot", HIGH),
    _rule("bot.semantic-release", "author", r"^semantic-release-bot <", BOT, "semantic-release", HIGH),
    _rule("bot.github-app", "author", rf"\[bot\]@{_NOREPLY}>$|^[\w.-]+\[bot\] <", BOT, "github-app", 0.6),
)


# --- effective rules from the configuration -------------------------------------------------------------


def effective_rules(config: AttributionConfig, origins: Mapping[str, str] | None = None) -> tuple[Rule, ...]:
    """The built-in rules minus `disable`, with `[[attribution.rules]]` replacing rules of the same id
    (in place) or added after them; every pattern compiled once to refuse a bad one with its key."""
    where = origins or {}
    known = {rule.id for rule in BUILTIN_RULES}
    configured = [_configured_rule(index, entry, where) for index, entry in enumerate(config.rules)]
    for index, rule_id in enumerate(config.disable):
        if rule_id not in known and rule_id not in {rule.id for rule in configured}:
            close = difflib.get_close_matches(rule_id, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else "; `devmetrics attribution --rules` lists them"
            raise _refusal(
                where, f"attribution.disable[{index}]", "attribution.disable", f"{rule_id!r} is no rule{hint}"
            )
    replaced = {rule.id: rule for rule in configured}
    rules = [replaced.pop(rule.id, rule) for rule in BUILTIN_RULES]
    rules += [rule for rule in configured if rule.id in replaced]
    disabled = set(config.disable)
    return tuple(rule for rule in rules if rule.id not in disabled)


def _configured_rule(index: int, entry: AttributionRuleConfig, where: Mapping[str, str]) -> Rule:
    key = f"attribution.rules[{index}]"
    rule = Rule(entry.id, entry.field, entry.pattern, entry.classification, entry.tool, entry.confidence)
    if not valid_field(rule.field):
        fields = ", ".join((*FIELDS, "trailer:<key>"))
        raise _refusal(where, f"{key}.field", f"{key}.field", f"must be one of {fields}, not {rule.field!r}")
    try:
        compile_pattern(rule)
    except re.error as error:
        raise _refusal(
            where, f"{key}.pattern", f"{key}.pattern", f"is not a valid regular expression ({error})"
        ) from None
    return rule


def _refusal(where: Mapping[str, str], key: str, shown: str, problem: str) -> ConfigError:
    origin = where.get(key) or where.get(key.rsplit("[", 1)[0]) or "configuration"
    return ConfigError(f"{origin}: {shown} {problem}")


def valid_field(name: str) -> bool:
    return name in FIELDS or (name.startswith(TRAILER_PREFIX) and len(name) > len(TRAILER_PREFIX))


def rules_hash(rules: Iterable[Rule]) -> str:
    """Changes exactly when the effective rules or the classifier change."""
    text = json.dumps([CLASSIFIER_VERSION, [asdict(rule) for rule in rules]], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def compile_pattern(rule: Rule) -> re.Pattern[str]:
    flags = re.IGNORECASE | (re.MULTILINE if rule.field in MULTILINE_FIELDS else 0)
    return re.compile(rule.pattern, flags)


# --- the matcher ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    regex: re.Pattern[str]

    def evidence(self, field_name: str, text: str) -> Evidence | None:
        found = self.regex.search(text)
        if found is None:
            return None
        groups = found.groupdict()
        # A short field (an identity, a trailer value, a subject) is shown whole; of a body, the matched line.
        shown = found.group(0) if field_name in MULTILINE_FIELDS else text
        matched = shown.strip()[:MAX_MATCH_SHOWN]
        tool = self.rule.tool or (None if self.rule.cls == HUMAN else canonical_tool(groups.get("tool") or matched))
        model = (groups.get("model") or "").strip() or None
        return Evidence(self.rule.id, field_name, matched, self.rule.cls, tool, model, self.rule.confidence)


# --- quick tests: literals every match must contain ---------------------------------------------------

# A rule's keywords are lower-case ASCII strings one of which every match contains. They are read from the
# parsed pattern with the re module's own parser (private, hence guarded: a pattern it cannot explain has
# no keywords and is tested by regex instead).
MIN_KEYWORD = 2
try:
    _PARSER: Any = importlib.import_module("re._parser")
    _OPS: Any = importlib.import_module("re._constants")
except ImportError:  # another Python: every text is tested by regex
    _PARSER = _OPS = None


def keywords_of(pattern: str, flags: int) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains; None when they cannot be told."""
    if _PARSER is None:
        return None
    try:
        return _one_group(_alternatives(list(_PARSER.parse(pattern, flags))))
    except Exception:  # the private parser may differ between versions; testing by regex is always right
        return None


def _alternatives(items: list[tuple[Any, Any]], line_start: bool = False) -> list[tuple[frozenset[str], ...]]:
    """For each top-level alternative, its groups: all of them are in every match of that alternative."""
    if len(items) == 1 and items[0][0] is _OPS.BRANCH:
        found: list[tuple[frozenset[str], ...]] = []
        for branch in items[0][1][1]:
            found += _alternatives(list(branch), line_start)
        return found
    return [_groups(items, line_start)]


def _groups(items: list[tuple[Any, Any]], line_start: bool) -> tuple[frozenset[str], ...]:
    """Groups of a sequence: its runs of ASCII literals, and one group for each required sub-pattern. A run
    right after `^` starts with a newline: tested texts get one in front, so a line start is one."""
    groups: list[frozenset[str]] = []
    run: list[str] = ["\n"] if line_start else []
    for op, argument in [*items, (None, None)]:
        if op is _OPS.LITERAL and argument < 128 and chr(argument) not in "\r\n":  # keywords stay within a line
            run.append(chr(argument))
            continue
        if len("".join(run).strip("\n")) >= MIN_KEYWORD:
            groups.append(frozenset({"".join(run).lower()}))
        inner = _required_inside(op, argument)
        group = _one_group(_alternatives(inner, run == ["\n"])) if inner else None
        if group:
            groups.append(group)
        run = ["\n"] if op is _OPS.AT and argument in (_OPS.AT_BEGINNING, _OPS.AT_BEGINNING_STRING) else []
    return tuple(groups)


def _required_inside(op: Any, argument: Any) -> list[tuple[Any, Any]] | None:
    if op is _OPS.SUBPATTERN:
        return list(argument[-1])
    if op in (_OPS.MAX_REPEAT, _OPS.MIN_REPEAT, getattr(_OPS, "POSSESSIVE_REPEAT", None)) and argument[0] >= 1:
        return list(argument[2])
    if op is _OPS.BRANCH:
        return [(op, argument)]
    return None


def _one_group(alternatives: list[tuple[frozenset[str], ...]]) -> frozenset[str] | None:
    """One group all the alternatives satisfy: the union of each alternative's most selective group."""
    chosen: set[str] = set()
    for groups in alternatives:
        if not groups:
            return None
        best: frozenset[str] = max(groups, key=_selectivity)
        chosen |= best
    return frozenset(chosen)


LINE_START_WORTH = 3  # a string at a line start is about as rare as one three characters longer


def _selectivity(group: frozenset[str]) -> tuple[int, int]:
    """How rarely a text holds one of the group's strings: its weakest string's length, then fewer strings."""
    return min(len(text) + (LINE_START_WORTH if text.startswith("\n") else 0) for text in group), -len(group)


@dataclass(frozen=True)
class QuickTest:
    """Which of a field's rules could match a text. The text is lowered and searched for the rules'
    keywords (substring tests beat one regex of alternatives several times over); the few characters outside
    ASCII that a case-insensitive regex takes for an ASCII letter are turned into it first (`keyword_text`),
    so no rule that would match is left out. Rules without keywords are tested by a combined regex."""

    size: int
    words: tuple[str, ...]  # every keyword
    shortest: tuple[str, ...]  # the keywords containing no other: one of them is in every candidate's text
    rules_of_word: Mapping[str, tuple[int, ...]]  # a word -> rules whose keyword it is
    unexplained: tuple[int, ...]  # rules without keywords
    unexplained_test: re.Pattern[str] | None

    def candidates(self, text: str) -> tuple[int, ...]:
        """Indices of the rules that could match `text`, in rule order."""
        unexplained = bool(self.unexplained) and (
            self.unexplained_test is None or self.unexplained_test.search(text) is not None
        )
        return self._by_keywords(text, unexplained)

    def line_candidates(self, text: str) -> tuple[int, ...]:
        """Indices of the rules that could match a text made of some of `text`'s lines (keywords hold
        within a line; a regex may not, so rules without keywords are not tested)."""
        return self._by_keywords(text, unexplained=bool(self.unexplained))

    def _by_keywords(self, text: str, unexplained: bool) -> tuple[int, ...]:
        lowered = keyword_text(text)
        for word in self.shortest:
            if word in lowered:
                break
        else:
            return self.unexplained if unexplained else ()
        chosen = set(self.unexplained) if unexplained else set()
        for word in self.words:
            if word in lowered:
                chosen.update(self.rules_of_word[word])
        return tuple(sorted(chosen))


def quick_test(rules: tuple[CompiledRule, ...]) -> QuickTest:
    keywords = [keywords_of(rule.rule.pattern, rule.regex.flags) for rule in rules]
    words = sorted({word for found in keywords if found for word in found})
    shortest = tuple(word for word in words if not any(other != word and other in word for other in words))
    rules_of_word = {
        word: tuple(index for index, found in enumerate(keywords) if found and word in found) for word in words
    }
    unexplained = tuple(index for index, found in enumerate(keywords) if found is None)
    return QuickTest(
        len(rules),
        tuple(words),
        shortest,
        rules_of_word,
        unexplained,
        _prefilter(tuple(rules[index] for index in unexplained)),
    )


# Outside ASCII, what a case-insensitive [a-z] matches: the characters such a regex takes for an ASCII letter.
ASCII_TWINS = re.compile(r"(?=[^\x00-\x7f])(?i:[a-z])")


@functools.cache
def ascii_twin(char: str) -> str | None:
    """The ASCII letter a case-insensitive regex takes `char` for (the Kelvin sign for k, the long s for s,
    the dotted and dotless i for i), or None."""
    return next((letter for letter in string.ascii_lowercase if re.fullmatch(letter, char, re.IGNORECASE)), None)


def keyword_text(text: str) -> str:
    """`text` as keywords are searched in: a newline in front (a line start is one), the characters a
    case-insensitive regex takes for an ASCII letter turned into it, lowered. Every keyword of a rule that
    matches `text` is in it."""
    if not text.isascii() and ASCII_TWINS.search(text):
        text = ASCII_TWINS.sub(lambda found: ascii_twin(found[0]) or found[0], text)
    return "\n" + text.lower()


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _prefilter(rules: tuple[CompiledRule, ...]) -> re.Pattern[str] | None:
    """One regex that matches wherever any of `rules` could: the cheap first test of a long text field.
    None when the patterns cannot be combined (back-references, inline global flags): test each then."""
    if not rules or any("(?P=" in compiled.rule.pattern for compiled in rules):
        return None
    combined = "|".join(f"(?:{_NAMED_GROUP.sub('(?:', compiled.rule.pattern)})" for compiled in rules)
    try:
        return re.compile(combined, rules[0].regex.flags)
    except re.error:
        return None


@dataclass
class RuleSet:
    """Compiled rules grouped by field, with the results of repeated short values (identities, trailers)
    remembered for the length of one analysis."""

    rules: tuple[Rule, ...]
    by_field: dict[str, tuple[CompiledRule, ...]] = field(init=False)
    by_trailer: dict[str, tuple[CompiledRule, ...]] = field(init=False)
    quick_tests: dict[str, QuickTest] = field(init=False)
    _memo: dict[tuple[str, ...], tuple[Evidence, ...]] = field(init=False, default_factory=dict)
    _combined: dict[tuple[str, tuple[int, ...]], re.Pattern[str] | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str, list[CompiledRule]] = {}
        for rule in self.rules:
            grouped.setdefault(rule.field.lower() if rule.field.startswith(TRAILER_PREFIX) else rule.field, []).append(
                CompiledRule(rule, compile_pattern(rule))
            )
        self.by_field = {name: tuple(items) for name, items in grouped.items() if not name.startswith(TRAILER_PREFIX)}
        self.by_trailer = {
            name.removeprefix(TRAILER_PREFIX): tuple(items)
            for name, items in grouped.items()
            if name.startswith(TRAILER_PREFIX)
        }
        self.quick_tests = {name: quick_test(items) for name, items in self.by_field.items()}

    def match(self, field_name: str, text: str) -> tuple[Evidence, ...]:
        """Evidence of every rule on `field_name` that matches `text`."""
        test = self.quick_tests.get(field_name)
        if test is None or not text:
            return ()
        return self.match_candidates(field_name, text, test.candidates(text))

    def line_candidates(self, field_name: str, text: str) -> tuple[int, ...]:
        """The rules of `field_name` (by index) that could match some of `text`'s lines: a cheap first test."""
        test = self.quick_tests.get(field_name)
        return () if test is None else test.line_candidates(text)

    def match_candidates(self, field_name: str, text: str, candidates: tuple[int, ...]) -> tuple[Evidence, ...]:
        if not candidates:
            return ()
        rules = self.by_field[field_name]
        if len(candidates) > 1:  # one search of the candidates combined rules most texts out at once
            key = (field_name, candidates)
            if key not in self._combined:
                self._combined[key] = _prefilter(tuple(rules[index] for index in candidates))
            combined = self._combined[key]
            if combined is not None and combined.search(text) is None:
                return ()
        found = (rules[index].evidence(field_name, text) for index in candidates)
        return tuple(item for item in found if item is not None)

    def match_remembered(self, field_name: str, text: str) -> tuple[Evidence, ...]:
        """`match` for values that repeat across commits (identities), computed once per value."""
        key = (field_name, text)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self.match(field_name, text)
        return found

    def match_trailer(self, key: str, value: str) -> tuple[Evidence, ...]:
        rules = self.by_trailer.get(key.lower())
        if not rules:
            return ()
        memo_key = (TRAILER_PREFIX, key.lower(), value)
        found = self._memo.get(memo_key)
        if found is None:
            shown = f"{TRAILER_PREFIX}{key}"
            found = tuple(item for item in (compiled.evidence(shown, value) for compiled in rules) if item)
            self._memo[memo_key] = found
        return found

    def has_field(self, field_name: str) -> bool:
        return field_name in self.by_field
