"""Versioned prompt templates: render the messages for one clip and name the version used.

A prompt is a folder under `prompts/` (or under `RECAP_PROMPTS_DIR`) holding `system.j2` and
`user.j2`. The caption guideline is the one in force (`agent.guidelines.active_guidelines`): the
system prompt carries its prose and its rules in words, generated from the rules the linter
checks (`Guidelines.brief`). A guideline file in force gives the prose; with the built-in
guideline, a `guidelines.md` in the prompt's folder (or the prompts folder) still replaces the
built-in prose, as before guideline files. The version is the folder name plus a hash of the
rendered system prompt, the user template and the guideline's hash, so any edit, to a template,
the prose or a rule, is a new version recorded with every draft.

A prompt folder may also hold a `prompt.toml`: `[draft] stated_confidence = true` asks the model
for its own confidence in each draft (the answer is then a `StatedDraft`, the number going into
the draft's confidence). The file is part of the version's hash when it exists; the built-in
prompts have none, so their versions are what they were.

Message order serves provider prompt caching: the static system prompt first, per-clip content
(frames, telemetry, caption) after it, the caption last and fenced as data.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jinja2

import prompts as _prompts_pkg
from agent.errors import ConfigError
from agent.schema import HALLUCINATION_TYPES, OMISSION_TYPES, Draft, PromptRef, StatedDraft

if TYPE_CHECKING:
    from agent.guidelines import Guidelines
    from agent.media._frames import Frames
    from agent.settings import Settings

BUILTIN_DIR = Path(_prompts_pkg.__file__).parent
DEFAULT_PROMPT = "review-v1"
OPTIONS_FILE = "prompt.toml"
DRAFT_OPTIONS = {"stated_confidence": bool}  # what `[draft]` may set, and its type
Layout = Literal["sheet", "frames"]

_CLOSE_TAG = re.compile(r"</(\s*caption)", re.IGNORECASE)


def fence(caption: str) -> str:
    """Neutralise a closing tag inside the caption so it cannot end the data block early."""
    return _CLOSE_TAG.sub(r"<\\/\1", caption)


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


@dataclass(frozen=True)
class Prompt:
    name: str
    directory: Path
    # the guideline in force; None: the built-in one
    guideline: Guidelines | None = field(default=None, hash=False, repr=False)

    @cached_property
    def _env(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.directory)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
        )

    @cached_property
    def rules(self) -> Guidelines:
        """The guideline the prompt asks the model to follow."""
        if self.guideline is not None:
            return self.guideline
        from agent.guidelines import default_guidelines

        return default_guidelines()

    @cached_property
    def guidelines(self) -> str:
        """The guideline's prose. A guideline file in force gives it; with the built-in
        guideline, a `guidelines.md` of the prompt's folder or of the prompts folder beside it
        (the way prose was given before guideline files) replaces the built-in prose."""
        if not self.rules.is_builtin:
            return self.rules.prose
        for path in (self.directory / "guidelines.md", self.directory.parent / "guidelines.md"):
            if path.is_file() and path.resolve() != (BUILTIN_DIR / "guidelines.md").resolve():
                return path.read_text().strip()
        return self.rules.prose

    @cached_property
    def uses_guideline(self) -> bool:
        """Whether the system template shows the guideline (a judge's prompt does not, so its
        version does not change with the guideline)."""
        from jinja2 import meta

        assert self._env.loader is not None
        source = self._env.loader.get_source(self._env, "system.j2")[0]
        names = meta.find_undeclared_variables(self._env.parse(source))
        return bool(names & {"guidelines", "guideline_prose", "guideline_rules"})

    @cached_property
    def system(self) -> str:
        brief = self.rules.brief() if self.uses_guideline else ""
        prose = self.guidelines if self.uses_guideline else ""
        return (
            self._env.get_template("system.j2")
            .render(
                guidelines="\n\n".join(x for x in (prose, brief) if x),
                guideline_prose=prose,
                guideline_rules=brief,
                guideline_version=self.rules.version,
                hallucination_types=[(t.value, d) for t, d in HALLUCINATION_TYPES.items()],
                omission_types=[(t.value, d) for t, d in OMISSION_TYPES.items()],
            )
            .strip()
        )

    @cached_property
    def _options_path(self) -> Path:
        return self.directory / OPTIONS_FILE

    @cached_property
    def options(self) -> dict[str, bool]:
        """The folder's `[draft]` options (prompt.toml), checked: an unknown key or a value of
        the wrong type is an error naming the file and the key."""
        path = self._options_path
        if not path.is_file():
            return {}
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path} is not valid TOML: {e}") from None
        extra = sorted(set(data) - {"draft"})
        table = data.get("draft", {})
        if extra or not isinstance(table, dict):
            raise ConfigError(
                f"{path}: only a [draft] table is read, found {', '.join(extra) or 'draft'!r}.",
                hint="For example:  [draft]  stated_confidence = true",
            )
        out: dict[str, bool] = {}
        for key, value in table.items():
            kind = DRAFT_OPTIONS.get(key)
            if kind is None:
                raise ConfigError(
                    f"{path}: [draft] has no option {key!r}.",
                    hint=f"Known: {', '.join(DRAFT_OPTIONS)}.",
                )
            if not isinstance(value, kind):
                raise ConfigError(f"{path}: [draft] {key} must be true or false, not {value!r}.")
            out[key] = value
        return out

    @property
    def response_model(self) -> type[Draft]:
        """What the model is asked to answer: a `Draft`, or a `StatedDraft` where the folder
        asks for the model's own confidence."""
        return StatedDraft if self.options.get("stated_confidence") else Draft

    @cached_property
    def ref(self) -> PromptRef:
        h = hashlib.sha256()
        h.update(self.system.encode())
        h.update(b"\0")
        h.update((self.directory / "user.j2").read_bytes())
        if self.uses_guideline:
            h.update(b"\0")
            h.update(self.rules.hash.encode())
        if self._options_path.is_file():  # only then: versions made before it stay the same
            h.update(b"\0options\0")
            h.update(self._options_path.read_bytes())
        return PromptRef(name=self.name, hash=h.hexdigest())

    def render_user(self, part: str, **kw: Any) -> str:
        return self._env.get_template("user.j2").render(part=part, **kw).strip()

    def messages(
        self,
        caption: str,
        frames: Frames,
        *,
        facts: list[str] | None = None,
        layout: Layout = "sheet",
        detail: str = "high",
        columns: int = 4,
    ) -> list[dict[str, Any]]:
        """OpenAI chat messages for one clip: system, then frames, telemetry, and the caption."""
        times = [f"{t:.1f}" for t in frames.times]
        content: list[dict[str, Any]] = [
            {
                "type": "text",
                "text": self.render_user(
                    "header",
                    duration=frames.duration,
                    n_frames=len(frames),
                    times=times,
                    layout=layout,
                ),
            }
        ]
        if layout == "sheet":
            from agent.media._frames import encode_jpeg  # PyAV and Pillow only once frames exist

            sheet = encode_jpeg(frames.contact_sheet(columns=columns), frames.quality)
            content.append(
                {"type": "image_url", "image_url": {"url": data_url(sheet), "detail": detail}}
            )
        else:
            for i, (t, jpeg) in enumerate(zip(frames.times, frames.jpegs(), strict=True), 1):
                content.append({"type": "text", "text": self.render_user("frame", index=i, time=t)})
                content.append(
                    {"type": "image_url", "image_url": {"url": data_url(jpeg), "detail": detail}}
                )
        if facts:
            content.append({"type": "text", "text": self.render_user("telemetry", facts=facts)})
        content.append(
            {"type": "text", "text": self.render_user("caption", caption=fence(caption))}
        )
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": content},
        ]


def prompt_root(directory: str | Path | None = None) -> Path:
    return Path(directory) if directory else BUILTIN_DIR


def list_prompts(directory: str | Path | None = None) -> list[str]:
    root = prompt_root(directory)
    return sorted(p.name for p in root.iterdir() if (p / "system.j2").is_file())


def load_prompt(
    name: str = DEFAULT_PROMPT,
    directory: str | Path | None = None,
    guideline: Guidelines | None = None,
) -> Prompt:
    """The prompt `name` under `directory` (default: the built-in prompts), asking for
    `guideline` (default: the built-in one; `prompt_for` finds the one in force)."""
    root = prompt_root(directory)
    folder = root / name
    missing = [f for f in ("system.j2", "user.j2") if not (folder / f).is_file()]
    if missing:
        known = ", ".join(list_prompts(root)) if root.is_dir() else "none"
        raise ConfigError(
            f"Prompt {name!r} not found in {root} (missing {', '.join(missing)})",
            hint=f"Known prompts: {known}. Pass --prompt NAME or set RECAP_PROMPT.",
        )
    try:
        prompt = Prompt(name=name, directory=folder, guideline=guideline)
        _ = prompt.ref  # render once so template errors surface here, not mid-job
        _ = prompt.options
    except jinja2.TemplateError as e:
        raise ConfigError(f"Prompt {name!r} does not render: {e}") from None
    return prompt


def prompt_for(settings: Settings) -> Prompt:
    """The prompt the settings name, asking for the guideline in force for them (`--guidelines`
    or RECAP_GUIDELINES, else a guidelines.toml beside the prompts, else the built-in)."""
    from agent.guidelines import guidelines_for

    return load_prompt(settings.prompt, settings.prompts_dir, guidelines_for(settings))
