"""The review page: one clip at a time, keyboard first, every decision kept.

Thin by design: the queue, leases, decisions, undo, progress and guideline checks live in
agent/ (review/, guidelines/, media/); this file lays them out. Model output and captions are
escaped before they reach any HTML. Every press names the clip and the state it was drawn for,
and the tab renews its hold on the clip while it stays on it.

Launched by `recap review`, which passes the database and run as settings (RECAP_DB /
RECAP_REVIEW_RUN).
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from pathlib import Path

import streamlit as st

from agent.decisions import OPEN_STATUSES, Decision, Status
from agent.errors import RecapError, Refused
from agent.media import frame_at, inside_root, play_window, playable, sample_frames
from agent.review import QueueItem, ReviewSession, default_reviewer, spaced_diff
from agent.schema import Hallucination
from agent.settings import Settings
from agent.store import Lease, Store
from agent.telemetry import NOTE_META_KEY, arm_count
from agent.untrusted import visible
from ui import rubric, timeline
from ui.auth import gate
from ui.confidence import show_confidence
from ui.guideline_panel import PageGuideline, page_guideline, panel, show_warnings
from ui.markup import attr, html_text, md, script_json

COLOURS = {
    "object": "#ff9aa2",
    "attribute": "#ffd3a5",
    "action": "#e2b6ff",
    "direction_or_spatial": "#9ee6ff",
    "count": "#fff59d",
    "order": "#a5b4ff",
    "outcome": "#ff8a80",
    "gripper_or_grasp": "#d1a3ff",
    "embodiment": "#b9f6ca",
    "speculation": "#d7d7d7",
    "other": "#c8c8c8",
}
KEYS = {
    "accept": "A",
    "save": "Ctrl+Enter",
    "reject": "X",
    "flag": "F",
    "skip": "S",
    "undo": "Z",
    "next": "N",
    "prev": "P",
}

st.set_page_config(page_title="recap review", layout="wide")
esc = html_text  # every data value in the page's HTML goes through here (ui/markup.py)


@st.cache_resource
def get_store(url: str | None) -> Store:
    return Store(url)


@st.cache_data(max_entries=64, show_spinner=False)
def strip(video: str, start: float | None, end: float | None) -> tuple[list[bytes], list[float]]:
    """The frame strip as JPEG bytes, encoded once per clip rather than on every rerun."""
    frames = sample_frames(video, 8, max_side=240, start=start, end=end)
    return frames.jpegs(), frames.times


@st.cache_data(max_entries=256, show_spinner=False)
def playable_path(video: str) -> str:
    """The file the browser plays (the clip, or its cached transcode): probed once per clip."""
    return str(playable(video))


def browser_id() -> str:
    """Stable across reloads (kept in the URL), different in another browser. Only a short id
    of letters, digits, - and _ is kept (it becomes part of the lease owner's name)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", st.query_params.get("b", "")):
        st.query_params["b"] = uuid.uuid4().hex[:10]
    return st.query_params["b"]


SERVER = f"{socket.gethostname()}:{os.getpid()}"  # this page server


def tab_id() -> str | None:
    """This tab: the page server and Streamlit's session (one per tab, new on a reload)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return f"{SERVER}/{ctx.session_id}" if ctx is not None else None


def tab_open(session: ReviewSession, lease: Lease, heartbeat_s: float) -> bool:
    """Whether the tab holding `lease` is still open: asked of this server when it is one of
    its own tabs (a reloaded tab's old session is gone at once); for another server's, whether
    it renewed the lease within two heartbeats."""
    if not lease.tab:
        return False
    server, _, sid = lease.tab.partition("/")
    if server == SERVER:
        from streamlit import runtime

        return runtime.exists() and runtime.get_instance().is_active_session(sid)
    return session.since_renewed(lease) < 2 * heartbeat_s


def highlighted(caption: str, hallucinations: list[Hallucination]) -> str:
    spans = []
    for h in hallucinations:
        where = h.locate(caption)
        if where:
            spans.append((*where, h))
    spans.sort(key=lambda s: s[0])
    out, pos = [], 0
    for start, end, h in spans:
        if start < pos:
            continue
        out.append(esc(caption[pos:start]))
        title = attr(f"{h.type.value}: {h.explanation}")
        out.append(
            f'<mark style="background:{COLOURS.get(h.type.value, "#ddd")}" title="{title}">'
            f"{esc(caption[start:end])}</mark>"
        )
        pos = end
    out.append(esc(caption[pos:]))
    return "".join(out)


def diff_html(a: str, b: str) -> str:
    """The word diff on one line, spaced as the terminal spaces it (none before punctuation)."""
    parts = []
    for op, chunk, space in spaced_diff(a, b):
        if op == "equal":
            part = esc(chunk)
        elif op == "delete":
            part = f'<del style="color:#b00">{esc(chunk)}</del>'
        else:
            part = f'<ins style="color:#070;font-weight:600">{esc(chunk)}</ins>'
        parts.append(" " + part if space else part)
    return "".join(parts)


KEEP_TYPING_JS = """
<script>
// Mirror every keystroke of the rewrite box into the browser's localStorage, and put it back
// after a reload: Streamlit only sends a text area's value on blur or Ctrl+Enter.
const doc = window.parent.document, store = window.parent.localStorage;
const {clip, forget} = DATA;
if (forget) store.removeItem("recap-edit:" + forget);
function hook() {
  const box = doc.querySelector('textarea[aria-label^="Rewrite"]');
  if (!box) { setTimeout(hook, 200); return; }
  if (box.dataset.recapClip === clip) return;
  box.dataset.recapClip = clip;
  const saved = store.getItem("recap-edit:" + clip);
  if (saved !== null && saved !== box.value) {
    const set = Object.getOwnPropertyDescriptor(
      window.parent.HTMLTextAreaElement.prototype, "value").set;
    set.call(box, saved);
    box.dispatchEvent(new Event("input", {bubbles: true}));
    box.focus(); box.blur();  // hand it to Streamlit, which keeps it in the database too
  }
  box.addEventListener("input", () => store.setItem("recap-edit:" + clip, box.value));
}
hook();
</script>
"""


def keep_typing(clip_id: str, forget: str | None) -> None:
    """The script gets its data in one JSON literal, escaped for a script (ui/markup.py): no
    clip id can close the script, end the string, or name a placeholder."""
    js = KEEP_TYPING_JS.replace("DATA", script_json({"clip": clip_id, "forget": forget}), 1)
    st.iframe(js, height=1)


SPEEDS_HTML = (
    '<div style="font:13px sans-serif">speed '
    + "".join(
        f"<button onclick=\"for (const v of window.parent.document.querySelectorAll('video'))"
        f' v.playbackRate={s}">{s}x</button> '
        for s in (0.25, 0.5, 1, 2)
    )
    + "</div>"
)


def player(video: str, start: float | None = None, end: float | None = None) -> None:
    """The clip by URL (Streamlit's media endpoint), not inlined: the page stays small and the
    browser fetches, caches and seeks the file itself. A clip that is a window of a longer file
    (a LeRobot v3.0 episode) plays and loops only that window. The speed buttons are the same
    markup for every clip, so the browser keeps that frame instead of reloading it."""
    first, last = play_window(start, end)
    st.video(
        Path(playable_path(video)),
        start_time=first,
        end_time=last,
        autoplay=True,
        loop=True,
        muted=True,
    )
    # Our own markup only: no caption or model text goes in here.
    st.iframe(SPEEDS_HTML, height=34)


def sidebar(store: Store, settings: Settings, guideline: PageGuideline) -> tuple[str, str, Status]:
    st.sidebar.title("recap review")
    fallback = default_reviewer(settings.reviewer, st.get_option("server.address"))
    reviewer = st.sidebar.text_input(
        "Reviewer", value=st.query_params.get("reviewer", fallback or ""), key="reviewer"
    )
    if reviewer:
        st.query_params["reviewer"] = reviewer
    runs = [r.name for r in store.runs.all()]
    default = settings.review_run
    if not runs:
        st.info("No drafts yet: run `recap draft` first.")
        st.stop()
    linked_run = st.query_params.get("run")  # a link to a clip names its run
    if linked_run in runs and "run" not in st.session_state:
        default = linked_run
    index = runs.index(default if default in runs else default_run(store, runs))
    run = st.sidebar.selectbox("Run", runs, index=index, key="run")
    # only what a reviewer may act on: decided, agreed and settled clips are final
    status = st.sidebar.selectbox("Show", OPEN_STATUSES, key="status")
    panel(guideline)  # the guideline in force (ui/guideline_panel.py)
    st.sidebar.caption(" · ".join(f"**{v}** {k}" for k, v in KEYS.items()))
    rubric_keys = rubric.key_help(guideline.guidelines.rubric)  # ui/rubric.py
    if rubric_keys:
        st.sidebar.caption(rubric_keys)
    return reviewer, run, Status(status)


def default_run(store: Store, runs: list[str]) -> str:
    """The run the page opens on when none is set: the latest production run (as `recap
    review` says), else the latest of any kind."""
    try:
        return store.runs.pick(None, "review")[0]
    except RecapError:
        return runs[-1]


def progress(session: ReviewSession) -> None:
    p = session.progress()
    sb = st.sidebar
    sb.progress(
        p["reviewed"] / p["total"] if p["total"] else 0.0,
        text=f"{p['reviewed']} / {p['total']} reviewed",
    )
    c1, c2 = sb.columns(2)
    c1.metric("clips / hour", f"{p['clips_per_hour']:.0f}" if p["clips_per_hour"] else "–")
    c2.metric("accepted as is", f"{p['accept_rate']:.0%}" if p["accept_rate"] is not None else "–")
    c1.metric(
        "mean edit rate",
        f"{p['mean_edit_rate']:.2f}" if p["mean_edit_rate"] is not None else "–",
        help="Word edits from draft to final over final length.",
    )
    c2.metric("my decisions", p["my_reviewed"])
    if p["agreement_by_type"]:
        sb.caption("Finding agreement by type")
        sb.markdown(agreement_bars(p["agreement_by_type"]), unsafe_allow_html=True)
    sb.caption(" · ".join(f"{k} {v}" for k, v in p["by_status"].items()))


def agreement_bars(agreement: dict[str, float]) -> str:
    """Share of findings agreed with, per type, as plain HTML bars: drawn with the rest of the
    sidebar, where a chart would load and lay out a charting library on every decision."""
    rows = []
    for kind, share in agreement.items():
        rows.append(
            '<div style="display:flex;align-items:center;gap:6px;font-size:12px">'
            f'<span style="width:10em">{esc(kind)}</span>'
            '<span style="flex:1;background:#eee;height:10px">'
            f'<span style="display:block;height:10px;width:{share:.0%};background:#4c78a8">'
            f"</span></span><span>{share:.0%}</span></div>"
        )
    return "".join(rows)


def linked(session: ReviewSession) -> QueueItem | None:
    """The clip a link names (`?clip=ID`, e.g. one a lead or the feedback report points at),
    once per link and run: leased and shown when this reviewer may work on it; otherwise None,
    with why noted for the page (decided already, another reviewer has it, not in this run)."""
    asked = st.query_params.get("clip")
    if not asked or st.session_state.get("linked") == (session.run, asked):
        return None
    st.session_state.linked = (session.run, asked)
    del st.query_params["clip"]  # followed: a reload goes on with the queue
    try:
        item = session.resume(asked)
    except Refused as e:
        st.session_state.link_refused = (asked, e.reason)
        return None
    except RecapError as e:
        st.session_state.link_refused = (asked, e.message)
        return None
    st.session_state.clip_run = session.run
    return move(item)


def current(session: ReviewSession, status: Status) -> QueueItem | None:
    """The clip this tab shows: the one a link names, when it is new; else the one it had,
    leased again (the renewal on every interaction), else the next. A clip lost meanwhile
    (taken by someone else after the hold on it ran out, or decided) is noted with why, for the
    press that may still name it."""
    item = linked(session)
    if item is not None:
        return item
    clip_id = st.session_state.get("clip_id")
    if clip_id and st.session_state.get("clip_run") == session.run:
        try:
            return session.resume(clip_id)
        except Refused as e:
            st.session_state.lost = (clip_id, e.reason)
        except RecapError:
            pass
    item = session.next_item(status)
    st.session_state.clip_id = item.clip_id if item else None
    st.session_state.clip_run = session.run
    return item


def move(item: QueueItem | None) -> QueueItem | None:
    st.session_state.clip_id = item.clip_id if item else None
    st.session_state.pop("evidence_t", None)
    return item


def on_screen_since(item: QueueItem) -> float:
    """When this clip first came on screen in this browser: a decision's seconds count from
    there, not from the last rerun (a ticked box or an applied edit reruns the page)."""
    shown = st.session_state.get("shown")
    if not shown or shown[0] != item.clip_id:
        shown = st.session_state.shown = (item.clip_id, time.monotonic())
    return shown[1]


def press(action: str, clip_id: str | None, version: int) -> None:
    """A button's on_click: only notes what was pressed, on which clip, in which state (the
    clip's version; for undo, the decision it would undo). main() carries it out after the
    sign-in gate, and only on that clip in that state: each button is drawn for one clip (its
    key names it), so a key pressed before the next clip's buttons are on screen acts on the
    clip that was, and is refused once that one has moved on (Streamlit runs callbacks before
    the script: acting here would skip the gate)."""
    st.session_state.action = (action, clip_id, version)


def typed(clip_id: str) -> None:
    """The rewrite box's on_change: only notes that there is text to keep. main() saves it
    after the sign-in gate, so a removed account's typing is never saved."""
    st.session_state.typed = clip_id


def save_typing(session: ReviewSession) -> None:
    clip_id = st.session_state.pop("typed", None)
    if clip_id is not None and f"edit-{clip_id}" in st.session_state:
        session.save_buffer(clip_id, st.session_state[f"edit-{clip_id}"])


def take_over() -> None:
    st.session_state.take_over = True


def this_tab_holds(session: ReviewSession, heartbeat_s: float) -> bool:
    """Whether this tab may show the browser's clip: one clip per browser, in one tab. A second
    tab of the same browser (same URL) says the clip is open in another tab, refuses what was
    pressed there, and offers to take it over."""
    asked = st.session_state.pop("take_over", False)
    held = session.holder()
    if held is None or held.tab == session.tab or not tab_open(session, held, heartbeat_s):
        return True
    if asked:
        session.take(held.clip_id, held.purpose)
        return True
    pending = st.session_state.pop("action", None)
    if pending is not None and pending[0] not in ("next", "prev"):
        st.error(
            f"Not recorded: {md(pending[1] or 'your last decision')} — the clip is open in another "
            "tab of this browser."
        )
    st.warning(
        f"{md(held.clip_id)} is open in another tab of this browser: review it there, or take it "
        "over here (the other tab then stops)."
    )
    st.button("Review here instead", key="take-over", type="primary", on_click=take_over)
    return False


def undo(session: ReviewSession, expect: int) -> QueueItem | None:
    """Withdraw the decision the Undo button was drawn for and show its clip again (None:
    nothing undone)."""
    if not expect:
        st.session_state.flash = "Nothing to undo"
        return None
    try:
        undone = session.undo(expect)
    except Refused as e:
        st.session_state.error = str(e)
        return None
    if undone is None:
        return None
    st.session_state.flash = "Undid the last decision"
    try:  # back on this screen, so leased to this browser again
        return move(session.resume(undone.clip_id, undone.purpose))
    except Refused as e:
        st.session_state.error = f"Undone, but {undone.clip_id} is not yours to show: {e.reason}."
        return None


def decide(
    session: ReviewSession,
    item: QueueItem,
    decision: Decision,
    status: Status,
    guideline: PageGuideline,
) -> QueueItem | None:
    """Record a decision on the clip on screen from the page's widgets (with its rubric scores,
    checked against the guideline in force); the next clip, or this one again with the reason
    when it was refused."""
    text = st.session_state.get(f"edit-{item.clip_id}", item.shown)
    agreed: dict[str, dict[str, bool]] = {"hallucinations": {}, "omissions": {}}
    if not item.control:  # the control arm shows no findings to agree with
        for kind, found in (
            ("hallucinations", item.draft.hallucinations),
            ("omissions", item.draft.omissions),
        ):
            for i in range(len(found)):
                key = f"agree-{item.clip_id}-{kind}-{i}"
                agreed[kind][str(i)] = bool(st.session_state.get(key, True))
    shown = st.session_state.get("shown")
    seconds = time.monotonic() - shown[1] if shown and shown[0] == item.clip_id else None
    try:  # refused (empty text, nothing edited, a rejection without own text): say why
        session.decide(
            item,
            decision,
            text,
            agreed=agreed,
            seconds=seconds,
            scores=rubric.scores_for(item.clip_id),
            guidelines=guideline.guidelines,
        )
    except Refused as e:  # the clip is no longer as shown, or no longer this tab's
        st.session_state.error = str(e)
        try:
            return move(session.resume(item.clip_id))  # as it is now
        except Refused:
            return move(session.next_item(status))
    except RecapError as e:
        st.session_state.error = str(e)
        return item
    st.session_state.setdefault("history", []).append(item.clip_id)
    st.session_state.flash = f"{decision}: {item.clip_id}"
    st.session_state.decided = item.clip_id  # its typed text is done with
    rubric.forget(item.clip_id)  # and its scores: the decision has them
    return move(session.next_item(status, after=item.clip_id))  # on from here, not the top


DECIDE = {
    "accept": Decision.ACCEPTED,
    "save": Decision.EDITED,
    "reject": Decision.REJECTED,
    "flag": Decision.FLAGGED,
    "skip": Decision.SKIPPED,
}


def act(
    session: ReviewSession, status: Status, item: QueueItem | None, guideline: PageGuideline
) -> QueueItem | None:
    """Carry out the button pressed in the last run, if any, on the clip and the state it was
    pressed on; the clip to show now. A press on a clip no longer on screen, or in a state no
    longer shown, is refused with a message (a stale Next or Previous does nothing)."""
    pending = st.session_state.pop("action", None)
    if pending is None:
        return item
    action, clip_id, version = pending
    if action == "undo":
        return undo(session, version) or item
    lost = st.session_state.pop("lost", None)
    if item is None or clip_id != item.clip_id:
        if action not in ("next", "prev"):
            why = lost[1] if lost and lost[0] == clip_id else "it is no longer on your screen"
            st.session_state.error = f"Not recorded: {clip_id} — {why}."
        return item
    if version != item.version:
        if action not in ("next", "prev"):
            st.session_state.error = (
                f"Not recorded: {clip_id} — it changed since it was shown to you; here it is "
                "as it is now."
            )
        return item
    if action == "prev":
        history = st.session_state.setdefault("history", [])
        while history:
            try:
                return move(session.resume(history.pop()))
            except Refused as e:
                st.session_state.error = f"{e.clip_id} — {e.reason}."
        return item
    if action == "next":
        st.session_state.setdefault("history", []).append(item.clip_id)
        return move(session.next_item(status, after=item.clip_id))
    return decide(session, item, DECIDE[action], status, guideline)


def heartbeat(session: ReviewSession, clip_id: str, every_s: float) -> None:
    """While the tab stays on a clip, renew its hold on it every `every_s` seconds (every click
    renews it too); once the hold is gone (expired and taken, or taken over by another tab),
    rerun the page, which then says so."""

    @st.fragment(run_every=every_s)
    def beat() -> None:
        if not session.renew(clip_id):
            st.rerun(scope="app")

    beat()


def media(item: QueueItem) -> None:
    """The left column: the clip playing, its frame strip, the frame at a finding's time."""
    try:
        video = str(inside_root(item.clip.video, item.clip.root))
        player(video, item.clip.start_s, item.clip.end_s)
        images, times = strip(video, item.clip.start_s, item.clip.end_s)
        st.image(images, caption=[f"{t:.1f}s" for t in times], width=100)
        # --- telemetry timeline (ui/timeline.py): click a point to seek the player ----------
        telemetry = item.clip.telemetry
        if telemetry is not None:
            draft = item.draft
            evidence = (
                []
                if item.control
                else [
                    t for f in (*draft.hallucinations, *draft.omissions) for t in f.evidence_times
                ]
            )
            picked = timeline.render(telemetry, evidence, times, key=f"timeline-{item.clip_id}")
            if picked is not None:
                st.session_state.evidence_t = picked
        # --- end telemetry timeline ------------------------------------------------------------
        t = st.session_state.get("evidence_t")
        if t is not None:
            st.image(frame_at(video, t), caption=f"frame at {t:.2f} s")
    except RecapError as e:
        st.error(md(e))


def show_evidence(t: float) -> None:
    """An evidence time's on_click: show that frame (display only, nothing recorded)."""
    st.session_state.evidence_t = t


def review(
    session: ReviewSession, item: QueueItem, undo_target: int, guideline: PageGuideline
) -> None:
    """The right column: caption with flagged spans, findings, the rewrite box, the buttons.

    The control arm shows the original caption alone: no spans, findings or draft, and nothing
    on the page says so."""
    # Every part whose length varies from clip to clip sits in its own container, so the box
    # and the buttons keep their place in the page: while a run draws the next clip, the
    # browser replaces them in place instead of showing the old clip's beside the new ones.
    body, scores, actions = st.container(), st.container(), st.container()
    with body:
        clip_text(session, item, guideline)
    with scores:  # the rubric, when the guideline has one (ui/rubric.py)
        g = guideline.guidelines
        rubric.scoring(item.clip_id, g.rubric, g.version)
    with actions:
        buttons(item, undo_target)
        if st.session_state.get("error"):
            st.error(md(st.session_state.pop("error")))


def clip_text(session: ReviewSession, item: QueueItem, guideline: PageGuideline) -> None:
    """Caption, what the drafter saw, findings, rewrite box, diffs and guideline warnings."""
    draft = item.draft
    hallucinations = [] if item.control else draft.hallucinations
    omissions = [] if item.control else draft.omissions
    shown = item.shown
    st.markdown("**Original caption**")
    st.markdown(
        f'<div style="font-size:1.1em;line-height:1.8">'
        f"{highlighted(item.caption, hallucinations)}</div>",
        unsafe_allow_html=True,
    )
    used = sorted({h.type.value for h in hallucinations})
    legend = st.container()
    if used:
        legend.markdown(
            " ".join(
                f'<mark style="background:{COLOURS.get(t, "#ddd")}">{esc(t)}</mark>' for t in used
            )
            + " <small>(hover a span for why)</small>",
            unsafe_allow_html=True,
        )
    if not item.control and draft.observations:
        # What the drafter saw (and, for offline drafts, what it could not check), above the
        # findings it led to. st.text parses neither Markdown nor HTML: a draft's words are data.
        st.text("What the drafter saw: " + visible(draft.observations))
    show_confidence(session, item)  # score and parts in words; not in the control arm
    rows = [
        ("hallucinations", i, h.span, h.type.value, h.explanation, h.evidence_times)
        for i, h in enumerate(hallucinations)
    ]
    rows += [
        ("omissions", i, o.description, o.type.value, "", o.evidence_times)
        for i, o in enumerate(omissions)
    ]
    findings = st.container()
    for kind, i, label, kind_of, what, times in rows:
        c1, c2 = findings.columns([7, 3])
        tag = "hallucination" if kind == "hallucinations" else "omission"
        c1.checkbox(  # a label is Markdown: the finding's words go in as text (ui/markup.py)
            f"{tag} · {md(label)} — {kind_of}" + (f": {md(what)}" if what else ""),
            value=True,
            key=f"agree-{item.clip_id}-{kind}-{i}",
            help="Untick if you disagree with this finding.",
        )
        for j, t in enumerate(times):
            c2.button(
                f"{t:.1f}s",
                key=f"t-{item.clip_id}-{kind}-{i}-{j}",
                on_click=show_evidence,
                args=(t,),
            )
    key = f"edit-{item.clip_id}"
    if key not in st.session_state:
        st.session_state[key] = session.buffer(item.clip_id) or shown
    text = st.text_area(
        "Rewrite (edit, then Ctrl+Enter to save)",
        key=key,
        height=110,
        on_change=typed,
        args=(item.clip_id,),
    )
    keep_typing(item.clip_id, st.session_state.pop("decided", None))
    diffs = st.container()
    if not item.control and draft.rewrite == item.caption:
        diffs.caption("The draft keeps the caption unchanged (verdict: accurate).")
    elif not item.control:
        diffs.markdown(
            "<small>original → draft</small> " + diff_html(item.caption, draft.rewrite),
            unsafe_allow_html=True,
        )
    if text != shown:
        diffs.markdown(
            f"<small>{'original' if item.control else 'draft'} → your edit</small> "
            + diff_html(shown, text),
            unsafe_allow_html=True,
        )
    arms = arm_count(item.clip.telemetry, item.clip.meta)  # the arm-name rule needs it
    show_warnings(st.container(), guideline.guidelines.lint(text, arms=arms))


def buttons(item: QueueItem, undo_target: int) -> None:
    """Each button only notes what was pressed, on this clip in this state (see `press`); its
    key names the clip, so it is a new button for every clip."""
    row1, row2 = st.columns([1, 1.5, 1, 1]), st.columns(4)
    specs = [
        (row1[0], "Accept", "accept", {"type": "primary"}),
        (row1[1], "Save", "save", {}),
        (row1[2], "Reject", "reject", {"help": "Reject the draft: the box holds your caption."}),
        (row1[3], "Flag", "flag", {"help": "Mark for a second look."}),
        (row2[0], "Skip", "skip", {}),
        (row2[2], "Previous", "prev", {}),
        (row2[3], "Next", "next", {}),
    ]
    for col, label, action, extra in specs:
        col.button(
            label,
            shortcut=KEYS[action],
            key=f"{action}@{item.clip_id}",
            width="stretch",
            on_click=press,
            args=(action, item.clip_id, item.version),
            **extra,
        )
    undo_button(row2[1], undo_target, "Undo")


def undo_button(where: object, target: int, label: str) -> None:
    """Z: undo the decision `target` (the reviewer's last when drawn; 0: none), and no other."""
    where.button(  # type: ignore[attr-defined]
        label,
        shortcut=KEYS["undo"],
        key=f"undo@{target}",
        width="stretch",
        on_click=press,
        args=("undo", None, target),
    )


def main() -> None:
    settings = Settings()
    store = get_store(settings.db)
    # --- sign-in (ui/auth.py): refuses, or says who this is; must stay first ---------------------
    person = gate(store, settings)
    guideline = page_guideline(settings)  # never raises: a bad file falls back, visibly
    reviewer, run, status = sidebar(store, settings, guideline)
    if person.signed_in:  # decisions go under the signed-in account, never a typed name
        reviewer = person.reviewer
    # ------------------------------------------------------------------------------------------
    if not reviewer:
        st.info("Enter your name in the sidebar to start reviewing.")
        st.stop()
    session = ReviewSession(
        store,
        reviewer,
        run,
        browser=browser_id(),
        tab=tab_id(),
        lease_s=settings.review_lease_s,
        control_share=settings.control_share,
        gold_rate=settings.gold_rate,  # team review (issue 12): gold checks and double review
        overlap=settings.overlap,
    )
    save_typing(session)  # after the gate: a removed account's typing is not kept
    if not this_tab_holds(session, settings.review_heartbeat_s):
        return
    item = act(session, status, current(session, status), guideline)
    refused = st.session_state.pop("link_refused", None)
    if refused is not None:
        st.info(f"The link's clip {md(refused[0])} is not open to you here: {md(refused[1])}.")
    lost = st.session_state.pop("lost", None)
    if lost is not None and (item is None or item.clip_id != lost[0]):
        st.info(f"{md(lost[0])} is no longer on your screen: {md(lost[1])}.")
    if st.session_state.get("flash"):
        st.toast(md(st.session_state.pop("flash")))
    progress(session)
    undoable = session.undoable()
    undo_target = undoable.id if undoable is not None else 0
    if item is None:
        if st.session_state.get("error"):
            st.error(md(st.session_state.pop("error")))
        st.success(f"No {status} clips left in {md(run)}. Press Z to undo your last decision.")
        undo_button(st, undo_target, "Undo last decision")
        return
    on_screen_since(item)
    # Plain Markdown, not HTML: the browser draws it without first loading Streamlit's raw-HTML
    # renderer, so the clip's name is the first thing on screen.
    st.markdown(f"### {md(item.clip_id)} · {md(item.status)}")
    note = (item.clip.meta or {}).get(NOTE_META_KEY)
    if isinstance(note, str) and note:  # e.g. "No telemetry for this dataset: ..."
        st.caption(md(note))
    # --- team review (issue 12): a lead sent this clip back; their comment comes first -------
    if item.feedback:
        st.markdown(
            '<div role="alert" style="background:#fff4e5;border-left:4px solid #f0a020;'
            'padding:8px 12px;margin-bottom:8px"><b>Sent back by your lead:</b> '
            f"{esc(item.feedback)}</div>",
            unsafe_allow_html=True,
        )
    # ------------------------------------------------------------------------------------------
    left, right = st.columns([5, 6])
    with left:
        media(item)
    with right:
        review(session, item, undo_target, guideline)
    heartbeat(session, item.clip_id, settings.review_heartbeat_s)


main()
