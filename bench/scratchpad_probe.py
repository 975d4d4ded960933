"""Chapter 08's probe: does the marked scratchpad make membership, copying and counting learnable, and do they carry
over to purchases longer than any trained on? Trains one model in checker mode on the marked scratchpad (optionally
with a hidden ticket number before each ticket) and prints, every 250 steps, teacher-forced accuracies on 256
natural purchases (1-20 tickets) and 64 long ones (21-60): the marks, the copied numbers, the counts, and the share of
dialogues with every answer token right. results/research/scratchpad-probe-h100.json holds the three runs the chapter shows.

    python bench/scratchpad_probe.py --name notags_h1
    python bench/scratchpad_probe.py --tags --heads 2 --name tags_h2
"""
import argparse
import json
import math
import random
import time

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from lottogpt.counting import number_mark, scratch_code
from lottogpt.data import Format, Segment, console_segments, encode_example, pad_collate, random_example, training_pair
from lottogpt.model import GPT, GPTConfig
from lottogpt.tokenizer import LottoTokenizer

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--tags", action="store_true", help="a hidden line with the ticket's number before each ticket")
p.add_argument("--heads", type=int, default=1, help="attention heads (default 1)")
p.add_argument("--embd", type=int, default=128, help="width (default 128)")
p.add_argument("--layers", type=int, default=4, help="blocks (default 4)")
p.add_argument("--pos", default="rotary", choices=["rotary", "learned", "none"], help="positions (default rotary)")
p.add_argument("--steps", type=int, default=4000, help="most optimizer steps (default 4000)")
p.add_argument("--seconds", type=float, default=240, help="stop after this many seconds (default 240)")
p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
p.add_argument("--batch", type=int, default=128, help="dialogues per step (default 128)")
p.add_argument("--max-tickets", type=int, default=20, help="longest purchase trained on (default 20)")
p.add_argument("--workers", type=int, default=3, help="data-loading workers (default 3)")
p.add_argument("--name", default="probe", help="label printed on every line")
a = p.parse_args()
tok = LottoTokenizer(max_number=127 if a.tags else 45)

class ProbeFormat(Format):
    "Checker mode with the marked scratchpad before the statistics; with `--tags`, each ticket's number before it."
    def segments(self, ex):
        tag = (lambda i: f"#{i + 1}\n") if a.tags else (lambda i: "")
        lines = "".join("\n#" + (f"{i + 1} " if a.tags else "") + " ".join(f"{n}{number_mark(n, ex.draw)}" for n in t)
                        + "=" + scratch_code(t, ex.draw) for i, t in enumerate(ex.tickets))
        d = console_segments(ex, checker=True)
        tickets = [Segment(tag(i) + s.text, s.loss) for i, s in enumerate(d[3:3 + len(ex.tickets)])]
        return [*d[:3], *tickets, *d[3 + len(ex.tickets):-1], Segment(lines + d[-1].text, True)]

fmt = ProbeFormat("probe", checker=True)

class Stream(IterableDataset):
    def __init__(self, lo, hi, seed): self.lo, self.hi, self.seed = lo, hi, seed
    def __iter__(self):
        info = get_worker_info(); rng = random.Random(f"{self.seed}-{info.id if info else 0}")
        while True:
            ex = random_example(rng, self.lo, self.hi, win_prob=0.5, forced_ranks=2)
            yield training_pair(*encode_example(ex, tok, fmt))

def collate(b): return pad_collate(b, tok.pad_id)
dev = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
train = iter(DataLoader(Stream(1, a.max_tickets, 0), batch_size=a.batch, collate_fn=collate, num_workers=a.workers))
evals = {"natural": next(iter(DataLoader(Stream(1, 20, 99), batch_size=256, collate_fn=collate))),
         "long": next(iter(DataLoader(Stream(21, 60, 98), batch_size=64, collate_fn=collate)))}
block = 4096 if a.pos != "learned" else 1024
m = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=block, n_layer=a.layers, n_head=a.heads, n_embd=a.embd, positions=a.pos)).to(dev)
opt = torch.optim.AdamW(m.parameters(), lr=a.lr, weight_decay=0.1, betas=(0.9, 0.95))
ids = {k: tok.ids[k] for k in (":", ".", "=", "#")}
NUM = set(range(tok.ids["0"], tok.ids["0"] + tok.max_number + 1))

@torch.no_grad()
def metrics(x, y):
    m.eval()
    with torch.autocast(dev, torch.bfloat16, enabled=dev == "cuda"):
        logits = m(x)
    m.train()
    right = logits.argmax(-1) == y
    mark = (y == ids[":"]) | (y == ids["."])
    count = (x == ids["="]) & (y != -100)
    # copied numbers: number targets after '#', after a mark, or after the space between a tag and the first number
    isnum = torch.isin(y, torch.tensor(sorted(NUM), device=y.device))
    prev_mark = torch.zeros_like(mark); prev_mark[:, 1:] = (x[:, 1:] == ids[":"]) | (x[:, 1:] == ids["."])
    copy = isnum & ((x == ids["#"]) | prev_mark | (x == tok.ids[" "])) & (y != -100)
    row_ok = (right | (y == -100)).all(-1)
    return {"mark": right[mark].float().mean().item(), "copy": right[copy].float().mean().item(),
            "count": right[count].float().mean().item(), "all_tokens_row": row_ok.float().mean().item()}

log, t0 = [], time.time()
for step in range(a.steps + 1):
    lr = a.lr * min(1, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1, step / a.steps))))
    for g in opt.param_groups: g["lr"] = lr
    x, y = (t.to(dev, non_blocking=True) for t in next(train))
    with torch.autocast(dev, torch.bfloat16, enabled=dev == "cuda"):
        _, loss = m(x, y)
    opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    done = time.time() - t0 > a.seconds or step == a.steps
    if step % 250 == 0 or done:
        rec = {"step": step, "s": round(time.time() - t0), "loss": round(loss.item(), 4)}
        for k, (ex, ey) in evals.items():
            rec[k] = {n: round(v, 4) for n, v in metrics(ex.to(dev), ey.to(dev)).items()}
        log.append(rec); print(a.name, json.dumps(rec), flush=True)
    if done: break
print("FINAL", a.name, json.dumps({"args": vars(a), "params": sum(p.numel() for p in m.parameters()), "log": log[-1]}))
