"""The eval harness: score drafts against gold rewrites, compare runs, gate prompt changes."""
