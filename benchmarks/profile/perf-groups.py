"""Shares of each bench worker's perf samples whose stack holds a frame of each group (inclusive), and the leaves.

    perf-groups.py perf.txt

perf.txt is `perf script -F pid,ip,sym,dso`; the workers are the two processes with JIT maps (/tmp/perf-<pid>.map) and
the most samples, told apart by the size of their maps (the learning worker compiles ML.NET as well).
"""
import collections, os, re, sys

GROUPS = [
    ("label stage", r"ProfilePipeline\.Streams\.LabelStage"),
    ("  label tracker", r"LabelTracker"),
    ("  open point changes (merge)", r"OpenPointChanges"),
    ("point index actor", r"DecisionPointIndexActor"),
    ("learner actor", r"PropensityLearnerActor"),
    ("  online learner", r"ProfilePipeline\.Learning\.OnlineLearner"),
    ("  ML.NET", r"Microsoft\.ML"),
    ("decision point codec", r"DecisionPointCodec"),
    ("learner serializer", r"LearnerSerializer"),
    ("entity: applying a batch", r"UserProfileActor::(TakeDecisionPoint|ApplyTakingDecisionPoints)"),
    ("entity (all)", r"UserProfileActor"),
    ("profile update stage", r"ProfileUpdateStage"),
    ("score stage", r"ScoreStage"),
    ("our SQLite journal", r"ProfilePipeline\.Entities\.Storage"),
    ("SQLite", r"[Ss]qlite"),
    ("Akka.Persistence", r"Akka\.Persistence"),
    ("cluster sharding", r"Akka\.Cluster\.Sharding"),
    ("kernel", r"kernel\.kallsyms"),
    ("JIT", r"libclrjit"),
]


def samples(path):
    pid, frames = None, []
    for line in open(path, errors="replace"):
        if not line.strip():
            if pid is not None and frames:
                yield pid, frames
            pid, frames = None, []
        elif line.startswith("\t"):  # a frame of the sample's call chain
            frames.append(line.strip())
        else:  # a sample's header: its pid (right-aligned)
            pid = int(line.split()[0])
            frames = []
    if pid is not None and frames:
        yield pid, frames


def main():
    stacks = collections.defaultdict(list)
    for pid, frames in samples(sys.argv[1]):
        stacks[pid].append(frames)
    dotnet = [p for p in stacks if os.path.exists(f"/tmp/perf-{p}.map")]  # the processes with JIT maps: the workers, and the parent
    workers = sorted(dotnet, key=lambda p: len(stacks[p]), reverse=True)[:2]
    maps = {p: sum(1 for _ in open(f"/tmp/perf-{p}.map", errors="replace")) for p in workers}
    none, learning = sorted(workers, key=lambda p: maps[p])
    print(f"{'group':34} {'none':>7} {'learning':>9}   (per cent of each worker's samples: {len(stacks[none])}, {len(stacks[learning])})")
    for name, pattern in GROUPS:
        rx = re.compile(pattern)
        share = [100 * sum(1 for s in stacks[p] if any(rx.search(f) for f in s)) / len(stacks[p]) for p in (none, learning)]
        print(f"{name:34} {share[0]:7.2f} {share[1]:9.2f}")
    def leaf(frame):  # the symbol, without the address and the pid's map file, so that the two workers' names match
        return re.sub(r" \(/tmp/perf-\d+\.map\)$", "", re.sub(r"^[0-9a-f]+ ", "", frame))

    leaves = {p: collections.Counter(leaf(s[0]) for s in stacks[p]) for p in (none, learning)}
    print("\nleaves most above none's share in the learning worker:")
    rows = [(100 * leaves[learning][k] / len(stacks[learning]) - 100 * leaves[none][k] / len(stacks[none]), k) for k in leaves[learning]]
    for diff, name in sorted(rows, reverse=True)[:25]:
        print(f"{diff:+6.2f}  {name[:150]}")


if __name__ == "__main__":
    main()
