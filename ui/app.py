"""The review page: one clip at a time, keyboard first, every decision kept.

Thin by design: the queue, leases, decisions, undo, progress and guideline checks live in
agent/ (review.py, lint.py, textdiff.py, media.py); this file lays them out. Model output and
captions are escaped before they reach any HTML.

Launched by `recap review`, which passes the database and run as settings (RECAP_DB /
RECAP_REVIEW_RUN).
"""

from __future__ import annotations

import base64
import html
import json
import uuid

import streamlit as st

from agent.errors import RecapError
from agent.frames import sample_frames
from agent.lint import lint
from agent.media import frame_at, inside_root, playable
from agent.prompts import BUILTIN_DIR
from agent.review import DECISIONS, STATUSES, QueueItem, ReviewSession, default_reviewer
from agent.schema import Hallucination
from agent.settings import Settings
from agent.store import Store
from agent.textdiff import word_diff
from ui import timeline
from ui.auth import gate

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
esc = html.escape


@st.cache_resource
def get_store(url: str | None) -> Store:
    return Store(url)


@st.cache_data(max_entries=64, show_spinner=False)
def strip(video: str, start: float | None, end: float | None) -> tuple[list[bytes], list[float]]:
    """The frame strip as JPEG bytes, encoded once per clip rather than on every rerun."""
    frames = sample_frames(video, 8, max_side=240, start=start, end=end)
    return frames.jpegs(), frames.times


@st.cache_data(max_entries=32, show_spinner=False)
def video_bytes(video: str) -> bytes:
    return playable(video).read_bytes()


def browser_id() -> str:
    """Stable across reloads (kept in the URL), different in another browser."""
    if "b" not in st.query_params:
        st.query_params["b"] = uuid.uuid4().hex[:10]
    return st.query_params["b"]


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
        title = esc(f"{h.type.value}: {h.explanation}", quote=True)
        out.append(
            f'<mark style="background:{COLOURS.get(h.type.value, "#ddd")}" title="{title}">'
            f"{esc(caption[start:end])}</mark>"
        )
        pos = end
    out.append(esc(caption[pos:]))
    return "".join(out)


def diff_html(a: str, b: str) -> str:
    parts = []
    for op, chunk in word_diff(a, b):
        if op == "equal":
            parts.append(esc(chunk))
        elif op == "delete":
            parts.append(f'<del style="color:#b00">{esc(chunk)}</del>')
        else:
            parts.append(f'<ins style="color:#070;font-weight:600">{esc(chunk)}</ins>')
    return " ".join(parts)


KEEP_TYPING_JS = """
<script>
// Mirror every keystroke of the rewrite box into the browser's localStorage, and put it back
// after a reload: Streamlit only sends a text area's value on blur or Ctrl+Enter.
const doc = window.parent.document, store = window.parent.localStorage;
const clip = CLIP, forget = FORGET;
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
    js = KEEP_TYPING_JS.replace("CLIP", json.dumps(clip_id)).replace("FORGET", json.dumps(forget))
    st.iframe(js, height=1)


def player(data: bytes) -> None:
    src = "data:video/mp4;base64," + base64.b64encode(data).decode()
    speeds = "".join(
        f"<button onclick=\"document.getElementById('v').playbackRate={s}\">{s}x</button> "
        for s in (0.25, 0.5, 1, 2)
    )
    # Our own markup and the clip's bytes only: no caption or model text goes in here.
    st.iframe(
        f'<video id="v" src="{src}" controls autoplay loop muted playsinline '
        f'style="width:100%;max-height:360px;background:#000"></video>'
        f'<div style="font:13px sans-serif">speed {speeds}</div>',
        height=400,
    )


def sidebar(store: Store, settings: Settings) -> tuple[str, str, str]:
    st.sidebar.title("recap review")
    fallback = default_reviewer(settings.reviewer, st.get_option("server.address"))
    reviewer = st.sidebar.text_input(
        "Reviewer", value=st.query_params.get("reviewer", fallback or ""), key="reviewer"
    )
    if reviewer:
        st.query_params["reviewer"] = reviewer
    runs = [r.name for r in store.runs()]
    default = settings.review_run
    if not runs:
        st.info("No drafts yet: run `recap draft` first.")
        st.stop()
    index = runs.index(default) if default in runs else len(runs) - 1
    run = st.sidebar.selectbox("Run", runs, index=index, key="run")
    status = st.sidebar.selectbox("Show", STATUSES, key="status")
    with st.sidebar.expander("Caption guidelines"):
        st.markdown((BUILTIN_DIR / "guidelines.md").read_text())
    st.sidebar.caption(" · ".join(f"**{v}** {k}" for k, v in KEYS.items()))
    return reviewer, run, status


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
        sb.bar_chart(p["agreement_by_type"], horizontal=True, height=200)
    sb.caption(" · ".join(f"{k} {v}" for k, v in p["by_status"].items()))


def current(session: ReviewSession, status: str) -> QueueItem | None:
    clip_id = st.session_state.get("clip_id")
    if clip_id and st.session_state.get("clip_run") == session.run:
        try:
            return session.item(clip_id)
        except RecapError:
            pass
    item = session.next_item(status)
    st.session_state.clip_id = item.clip_id if item else None
    st.session_state.clip_run = session.run
    return item


def move(item: QueueItem | None) -> None:
    st.session_state.clip_id = item.clip_id if item else None
    st.session_state.pop("evidence_t", None)


def undo(session: ReviewSession) -> None:
    """Withdraw the reviewer's last decision and show its clip again."""
    undone = session.undo()
    if undone:
        session.take(undone.clip_id)  # back on this screen, so leased to this browser again
        move(session.item(undone.clip_id))
        st.session_state.flash = "Undid the last decision"
    st.rerun()


def main() -> None:
    settings = Settings()
    store = get_store(settings.db)
    # --- sign-in (ui/auth.py): refuses, or says who this is; must stay first ---------------------
    person = gate(store, settings)
    reviewer, run, status = sidebar(store, settings)
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
        control_share=settings.control_share,
        gold_rate=settings.gold_rate,  # team review (issue 12): gold checks and double review
        overlap=settings.overlap,
    )
    if st.session_state.get("flash"):
        st.toast(st.session_state.pop("flash"))
    item = current(session, status)
    progress(session)
    if item is None:
        st.success(f"No {status} clips left in {run}. Press Z to undo your last decision.")
        if st.button("Undo last decision", shortcut=KEYS["undo"], key="undo"):
            undo(session)
        return

    # The control arm shows the original caption alone: no spans, findings or draft, and
    # nothing on the page says so.
    draft = item.draft
    hallucinations = [] if item.control else draft.hallucinations
    omissions = [] if item.control else draft.omissions
    shown = item.shown
    st.markdown(
        f"### {esc(item.clip_id)} · <small>{esc(item.status)}</small>", unsafe_allow_html=True
    )
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
        try:
            video = str(inside_root(item.clip.video, item.clip.root))
            player(video_bytes(video))
            images, times = strip(video, item.clip.start_s, item.clip.end_s)
            st.image(images, caption=[f"{t:.1f}s" for t in times], width=100)
            # --- telemetry timeline (ui/timeline.py): click a point to seek the player ------
            if item.clip.telemetry:
                evidence = [
                    t for f in (*draft.hallucinations, *draft.omissions) for t in f.evidence_times
                ]
                picked = timeline.render(
                    item.clip.telemetry, evidence, times, key=f"timeline-{item.clip_id}"
                )
                if picked is not None:
                    st.session_state.evidence_t = picked
            # --- end telemetry timeline --------------------------------------------------------
            t = st.session_state.get("evidence_t")
            if t is not None:
                st.image(frame_at(video, t), caption=f"frame at {t:.2f} s")
        except RecapError as e:
            st.error(str(e))

    with right:
        st.markdown("**Original caption**")
        st.markdown(
            f'<div style="font-size:1.1em;line-height:1.8">'
            f"{highlighted(item.caption, hallucinations)}</div>",
            unsafe_allow_html=True,
        )
        used = sorted({h.type.value for h in hallucinations})
        if used:
            st.markdown(
                " ".join(
                    f'<mark style="background:{COLOURS.get(t, "#ddd")}">{esc(t)}</mark>'
                    for t in used
                )
                + " <small>(hover a span for why)</small>",
                unsafe_allow_html=True,
            )
        agreed: dict[str, dict[str, bool]] = {"hallucinations": {}, "omissions": {}}
        rows = [
            ("hallucinations", i, h.span, h.type.value, h.explanation, h.evidence_times)
            for i, h in enumerate(hallucinations)
        ]
        rows += [
            ("omissions", i, o.description, o.type.value, "", o.evidence_times)
            for i, o in enumerate(omissions)
        ]
        for kind, i, label, kind_of, what, times in rows:
            c1, c2 = st.columns([7, 3])
            tag = "hallucination" if kind == "hallucinations" else "omission"
            agreed[kind][str(i)] = c1.checkbox(
                f"{tag} · {label} — {kind_of}" + (f": {what}" if what else ""),
                value=True,
                key=f"agree-{item.clip_id}-{kind}-{i}",
                help="Untick if you disagree with this finding.",
            )
            for j, t in enumerate(times):
                if c2.button(f"{t:.1f}s", key=f"t-{item.clip_id}-{kind}-{i}-{j}"):
                    st.session_state.evidence_t = t
                    st.rerun()
        key = f"edit-{item.clip_id}"
        if key not in st.session_state:
            st.session_state[key] = session.buffer(item.clip_id) or shown
        text = st.text_area(
            "Rewrite (edit, then Ctrl+Enter to save)",
            key=key,
            height=110,
            on_change=lambda: session.save_buffer(item.clip_id, st.session_state[key]),
        )
        keep_typing(item.clip_id, st.session_state.pop("decided", None))
        if not item.control and draft.rewrite == item.caption:
            st.caption("The draft keeps the caption unchanged (verdict: accurate).")
        elif not item.control:
            st.markdown(
                "<small>original → draft</small> " + diff_html(item.caption, draft.rewrite),
                unsafe_allow_html=True,
            )
        if text != shown:
            st.markdown(
                f"<small>{'original' if item.control else 'draft'} → your edit</small> "
                + diff_html(shown, text),
                unsafe_allow_html=True,
            )
        for w in lint(text):
            st.warning(f"{w.kind}: {w.message}", icon="⚠️")

        row1, row2 = st.columns([1, 1.5, 1, 1]), st.columns(4)
        decision = None
        if row1[0].button(
            "Accept", shortcut=KEYS["accept"], type="primary", key="accept", width="stretch"
        ):
            decision = "accepted"
        if row1[1].button("Save", shortcut=KEYS["save"], key="save", width="stretch"):
            decision = "edited"
        if row1[2].button(
            "Reject",
            shortcut=KEYS["reject"],
            key="reject",
            width="stretch",
            help="Reject the draft: the box holds your caption.",
        ):
            decision = "rejected"
        if row1[3].button(
            "Flag",
            shortcut=KEYS["flag"],
            key="flag",
            width="stretch",
            help="Mark for a second look.",
        ):
            decision = "flagged"
        if row2[0].button("Skip", shortcut=KEYS["skip"], key="skip", width="stretch"):
            decision = "skipped"
        if row2[1].button("Undo", shortcut=KEYS["undo"], key="undo", width="stretch"):
            undo(session)
        if row2[2].button("Previous", shortcut=KEYS["prev"], key="prev", width="stretch"):
            history = st.session_state.setdefault("history", [])
            if history:
                move(session.item(history.pop()))
            st.rerun()
        if row2[3].button("Next", shortcut=KEYS["next"], key="next", width="stretch"):
            nxt = session.next_item(status, after=item.clip_id)
            st.session_state.setdefault("history", []).append(item.clip_id)
            move(nxt)
            st.rerun()
        if decision in DECISIONS:
            try:
                if decision == "rejected" and text.strip() == shown:
                    raise RecapError("To reject, write your own caption in the box first.")
                session.decide(item, decision, text, agreed=agreed)
            except RecapError as e:
                st.error(str(e))
            else:
                st.session_state.setdefault("history", []).append(item.clip_id)
                st.session_state.flash = f"{decision}: {item.clip_id}"
                st.session_state.decided = item.clip_id  # its typed text is done with
                move(
                    session.next_item(status, after=item.clip_id)
                )  # on from here, not from the top
                st.rerun()


main()
