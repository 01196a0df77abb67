#!/usr/bin/python3
"""Replays the screened finals' ticket rules on finished full-fidelity searches (issue 29).

A full-fidelity search fine-tunes every candidate of its final population for the final steps,
so its store (evaluations.sqlite) holds each candidate's search score (the short fine-tune) and
its final score, on validation. A rule that picks K of them for the final fine-tune from their
search scores can then be replayed exactly: which K it picks, the headline it would have found
(the smallest genome within the tolerance of 8-bit's final validation score among the K) and the
final front's hypervolume over the K against all of them. Validation only: no test figure is read.

  scripts/finals_replay.py OUT.md RUN_DIR:FINAL_STEPS[:se] ...

Rules, each with KEEP tickets (environment, default 7 as `--final-keep`):
  previous  the smallest half (rounded up) of the candidates within three tolerances of 8-bit's
            search score, then the largest hypervolume contributions on the search scores, then by
            rank and size;
  rounds    three quarters (rounded up) for the headline in rounds of two over the front of the
            search scores (each round splits the range in doubt in thirds:
            src/search/headline_bisection.hpp), the tickets the rounds leave to the candidates
            smaller than the smallest landed, best search score first (second chances), then
            the largest hypervolume contributions (what
            `--fidelity screened` does since 2026-12-07, except that the search takes one
            hypervolume ticket early, beside an odd batch, from outside the range in doubt: here
            they are all chosen after the rounds).
"""
import os
import sqlite3
import sys


def load(db, final_steps):
    """Each genome's search score (the fewest steps stored) and final score (final_steps), both
    at the final scores' learning rate (a store may hold other settings' rows too)."""
    rows = {}
    for fit, genome, score, size, n in sqlite3.connect(db).execute(
            "select fitness, genome, accuracy, size_bits, sequences from evaluations"):
        if "report_split=test" in fit or "fitness=qat" not in fit:
            continue
        steps = int(fit.split("steps=")[1].split(";")[0])
        lr = fit.split(";lr=")[1].split(";")[0]
        rows.setdefault((steps, lr), {})[genome] = (score, size, n)
    lr = next(lr for steps, lr in rows if steps == final_steps)
    search_steps = min(steps for steps, l in rows if l == lr)
    return rows[(search_steps, lr)], rows[(final_steps, lr)]


def within(score, eight, n, quality):
    if quality:
        return score >= eight - 0.3 - 1e-12
    return round(score * n) >= round(eight * n) - 0.005 * n - 1e-9


def hypervolume(points, ref=(1.0, 1.05)):
    front, best = [], float("inf")
    for e, s in sorted(set(points), key=lambda p: (p[1], p[0])):
        if e < best:
            front.append((e, s))
            best = e
    area = 0.0
    for i, (e, s) in enumerate(front):
        right = front[i + 1][1] if i + 1 < len(front) else ref[1]
        if e < ref[0] and s < ref[1]:
            area += (ref[0] - e) * (right - s)
    return area


def greedy(points, taken, count):
    out = []
    kept = [points[i] for i in taken]
    while len(out) < count:
        base = hypervolume(kept)
        best, gain = None, 1e-12
        for i in range(len(points)):
            if i in taken or i in out:
                continue
            g = hypervolume(kept + [points[i]]) - base
            if g > gain:
                best, gain = i, g
        if best is None:
            break
        out.append(best)
        kept.append(points[best])
    return out


def replay(db, final_steps, quality, rule, keep=int(os.environ.get("KEEP", "7"))):
    tol = 0.3 if quality else 0.005
    search, final = load(db, final_steps)
    eight = next(g for g in final if set(g) == {"8"})
    e_search, e_final, n = search[eight][0], final[eight][0], final[eight][2]
    size8 = final[eight][1]
    cands = sorted((g for g in final if g in search and g != eight),
                   key=lambda g: (final[g][1], g))
    err = (lambda v: 1 - v / 20) if quality else (lambda v: 1 - v)
    s_pts = [(err(search[g][0]), final[g][1] / size8) for g in cands]
    f_pts = [(err(final[g][0]), final[g][1] / size8) for g in cands]
    lands = [within(final[g][0], e_final, n, quality) for g in cands]
    if rule == "previous":
        tickets = [i for i, g in enumerate(cands)
                   if search[g][0] >= e_search - 3 * tol][:(keep + 1) // 2]
    else:
        front, best = [], -float("inf")
        for i, g in enumerate(cands):
            if search[g][0] > best + 1e-12:
                front.append(i)
                best = search[g][0]
        low, high, tickets = 0, len(front), []
        headline = (3 * keep + 3) // 4
        while len(tickets) < headline and low < high:
            k = min(2, headline - len(tickets), high - low)
            round_ = sorted({low + (high - low) * (j + 1) // (k + 1) for j in range(k)})
            tickets += [front[i] for i in round_]
            for i in round_:
                if lands[front[i]]:
                    high = i
                    break
                low = i + 1
        # Second chances: the headline's tickets left, in twos, for the candidates smaller than
        # the smallest that landed, best search score first.
        while len(tickets) < headline:
            top = min((final[cands[i]][1] for i in tickets if lands[i]), default=float("inf"))
            pool = sorted((i for i in range(len(cands))
                           if i not in tickets and final[cands[i]][1] < top),
                          key=lambda i: (-search[cands[i]][0], final[cands[i]][1], cands[i]))
            if not pool:
                break
            tickets += pool[:min(2, headline - len(tickets))]
    tickets += greedy(s_pts, tickets, keep - len(tickets))
    tickets += [i for i in range(len(cands)) if i not in tickets][:keep - len(tickets)]
    reduction = lambda i: 100 * (1 - final[cands[i]][1] / size8)
    pick = max((reduction(i) for i in tickets if lands[i]), default=0.0)
    full = max((reduction(i) for i in range(len(cands)) if lands[i]), default=0.0)
    return full, pick, hypervolume([f_pts[i] for i in tickets]) / hypervolume(f_pts), len(cands)


def main():
    out, specs = sys.argv[1], sys.argv[2:]
    rows, diffs, hvs = [], {"previous": [], "rounds": []}, {"previous": [], "rounds": []}
    for spec in specs:
        parts = spec.split(":")
        db = parts[0].rstrip("/") + "/evaluations.sqlite"
        quality = len(parts) > 2 and parts[2] == "se"
        cells = []
        for rule in ("previous", "rounds"):
            full, pick, hv, n = replay(db, int(parts[1]), quality, rule)
            diffs[rule].append(pick - full)
            hvs[rule].append(hv)
            cells.append(f"{pick:.1f} % ({pick - full:+.1f}) | {100 * hv:.2f} %")
        rows.append(f"| {parts[0]} | {parts[1]} | {n} | {full:.1f} % | " + " | ".join(cells) + " |")
    mean = lambda v: sum(v) / len(v)
    with open(out, "w") as f:
        f.write("| full run | final steps | candidates | pick, all fine-tuned | previous rule: pick "
                "(pp) | HV / all | rounds: pick (pp) | HV / all |\n")
        f.write("|---|---:|---:|---:|---:|---:|---:|---:|\n")
        f.write("\n".join(rows) + "\n")
        f.write(f"| **mean** | | | | {mean(diffs['previous']):+.2f} pp | "
                f"{100 * mean(hvs['previous']):.2f} % | {mean(diffs['rounds']):+.2f} pp | "
                f"{100 * mean(hvs['rounds']):.2f} % |\n")
    print(open(out).read())


if __name__ == "__main__":
    main()
