"""Drive a MetaSchedule search strategy as ``tune_tir`` does, without building or running:
each candidate's "latency" is made up from its structural hash, so runs are deterministic."""

import tvm_ffi
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.runner import RunnerResult


def drive(kernel, target, strategy, cost_model, seed, rounds=3, per_round=4):
    """The structural hashes of the candidates measured, round by round."""
    context = ms.TuneContext(
        mod=kernel.mod,
        target=target,
        space_generator="post-order-apply",
        search_strategy=strategy,
        task_name="main",
        rand_state=seed,
        num_threads=1,
    )
    strategy = context.search_strategy
    spaces = context.space_generator.generate_design_space(kernel.mod)
    strategy.pre_tuning(rounds * per_round, per_round, spaces, None, cost_model)
    batches = []
    while (candidates := strategy.generate_measure_candidates()) is not None:
        keys = [tvm_ffi.structural_hash(c.sch.mod) for c in candidates]
        batches.append(keys)
        results = [RunnerResult(run_secs=[1e-3 * (1 + key % 97)], error_msg=None) for key in keys]
        cost_model.update(context, candidates, results)
        strategy.notify_runner_results(candidates, results)
    return batches
