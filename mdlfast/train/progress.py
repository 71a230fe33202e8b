"""Progress display for fit: a tqdm bar per epoch when tqdm is installed, else one printed line
per epoch."""
from __future__ import annotations

import sys


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def format_record(record):
    """'loss 0.1234  accuracy 0.9876 ...' for a record (name -> value)."""
    parts = []
    for name, value in record.items():
        if name == "seconds":
            parts.append(f"{value:.1f}s")
        elif name == "lr":
            parts.append(f"lr {value:.3g}")
        else:
            parts.append(f"{name} {value:.4f}")
    return "  ".join(parts)


class Progress:
    """One epoch's progress over `total` batches: a tqdm bar (if installed and enabled) showing the
    running loss, closed with the epoch's record; without tqdm, a printed line per epoch."""

    def __init__(self, enabled, epoch, epochs, total, *, stream=None):
        self.enabled = enabled
        self.label = f"epoch {epoch + 1}/{epochs}"
        self.stream = stream or sys.stderr
        tqdm = _tqdm() if enabled else None
        self.bar = (tqdm(total=total, desc=self.label, leave=False, file=self.stream,
                         dynamic_ncols=True) if tqdm is not None else None)

    def update(self, loss):
        """One batch done, with its loss."""
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def close(self, record):
        """The epoch ended with `record`."""
        if self.bar is not None:
            self.bar.close()
        if self.enabled:
            print(f"{self.label}  {format_record(record)}", file=self.stream, flush=True)
