"""How tests/data/recap-0.2.0.sqlite was written, with release 0.2's own code (commit 25cf85a):
the sample ingested, a run drafted offline and a second run with only an error, one reviewer's
decisions (accept, edit, reject, skip, flag, an undo, the control arm, an edit buffer), double
review with disputes, gold checks, a lead's settlement, approval and send-back, and accounts.

    git worktree add /tmp/rel02 25cf85a
    PYTHONPATH=/tmp/rel02 python tests/data/make_recap_0_2_0.py /tmp/rel02 tests/data
"""

# ruff: noqa: E402
import asyncio
import sys
from pathlib import Path

RELEASE = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(RELEASE))
from agent.export import export
from agent.ingest import ingest
from agent.jobs import Job, JobOptions
from agent.lead import judge, settle
from agent.offline import OfflineDrafter
from agent.users import add_user

from agent.review import ReviewSession
from agent.settings import Settings
from agent.store import Store

out = Path(sys.argv[2])
db = out / "recap-0.2.0.sqlite"
db.unlink(missing_ok=True)
store = Store(db)
rep = ingest(store, RELEASE / "evals" / "datasets" / "sample" / "manifest.jsonl")
print("ingested", rep.added)
d = OfflineDrafter(Settings())
stats = asyncio.run(Job(store, d, JobOptions(run="old-offline", concurrency=4)).run())
print("drafted", stats.drafted)
# a second run, partly drafted: errors kept
store.ensure_run(
    "old-partial",
    drafter="llm",
    model="gpt-4.1-mini",
    prompt_name="review-v1",
    prompt_hash="abc",
    settings={"frames": 8},
)
ids = [c.id for c, _ in store.clips_with_captions()]
store.save_error("old-partial", ids[0], "endpoint", "HTTP 500 after 6 attempts")
# single review by alice, with undo, edit, reject, control share
a = ReviewSession(store, "alice", "old-offline", browser="b1", control_share=0.3)
for i, dec in enumerate(["accepted", "edited", "rejected", "accepted", "skipped", "flagged"]):
    it = a.next_item()
    text = it.shown + " Extra." if dec in ("edited", "rejected") else None
    if dec == "rejected":
        text = "A caption of my own."
    a.decide(it, dec, text, seconds=3.0 + i)
a.undo()
it = a.next_item()
a.save_buffer(it.clip_id, "half-typed text")
# team review on the same run: gold and overlap
b = ReviewSession(store, "bob", "old-offline", browser="b2", overlap=0.5)
c = ReviewSession(store, "cy", "old-offline", browser="b3", overlap=0.5)
for _ in range(8):
    it = b.next_item()
    if it is None:
        break
    b.decide(it, "accepted", seconds=5.0)
for _ in range(8):
    it = c.next_item()
    if it is None:
        break
    if it.purpose == "double":
        c.decide(it, "edited", it.shown + " (cy)", seconds=6.0)
    else:
        c.decide(it, "accepted", seconds=6.0)
g = ReviewSession(store, "dan", "old-offline", browser="b4", gold_rate=0.5)
for _ in range(3):
    it = g.next_item()
    g.decide(it, "edited", it.shown + " (dan)", seconds=4.0)
from agent.lead import disputes

ds = disputes(store, "old-offline")
print("disputes", len(ds))
if ds:
    settle(store, "lee@example.org", "old-offline", ds[0].clip_id, "The settled caption.")
bob_rows = [
    r
    for r in store.reviews()
    if r.reviewer == "bob" and r.decision == "accepted" and r.purpose != "gold"
]
judge(store, "lee@example.org", bob_rows[0].id, "approved")
judge(store, "lee@example.org", bob_rows[-1].id, "sent_back", "Say which arm moves.")
add_user(store, "lee@example.org", "lead", by="admin")
add_user(store, "Bob@Example.org", "reviewer", by="admin")
add_user(store, "gone@example.org", "reviewer", by="admin")
from agent.users import remove_user

remove_user(store, "gone@example.org")
n = export(store, "old-offline", out / "recap-0.2.0-export.jsonl")
print("exported", n, "reviews", len(store.reviews()), "users", len(store.users()))
print("migrations", store.applied_migrations())
