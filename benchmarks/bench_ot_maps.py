"""OT-map accuracy benchmark: learned and classical maps against known (or reference) OT maps.

    python benchmarks/bench_ot_maps.py [--seed 0] [--pairs 10] [--dims 2,5,10]
        [--families gaussian,mixture,sphere] [--methods defaults,paper,...] [--n 20000]
        [--epochs 50] [--quick] [--jobs 1] [--out results.json]

Problems (drawn fresh from --seed; a new seed gives new problems):
  gaussian  N(m1, S1) -> N(m2, S2) in d = --dims, m ~ N(0, I), S = Q diag(l) Q^T with
            l = 0.5 * 10^U(0, 1) (condition number <= 10); exact map T(x) = m2 + A (x - m1),
            A = S1^{-1/2} (S1^{1/2} S2 S1^{1/2})^{1/2} S1^{-1/2} (ot.gaussian).
  mixture   random_gmm(d) -> random_gmm(d), for the --dims <= 5.
  sphere    the coupling PWAE paper's Table 1 pair (sphere_measures, unit sphere in R^3).
  For mixture / sphere the reference map is estimated: the held-out points x_eval (n_eval)
  are embedded in n_ref source draws, matched by exact OT (POT emd) to n_ref target draws,
  and the assignment is averaged over R repeats. Two independent references A, B are drawn;
  row 'ref_noise' scores A against B, and methods are scored against (A + B) / 2, whose own
  error is about ref_noise / 2 if A and B err independently (sampling noise only).
Metrics on the held-out x_eval (T = exact or reference map, T_hat = method):
  rel   = sqrt(E|T_hat - T|^2) / sqrt(E|T - E T|^2)       (relative RMS error)
  uvp   = 100 E|T_hat - T|^2 / Var(nu)                   (L2-UVP, Korotin et al. 2021)
  cost  = E|x - T_hat(x)|^2 / E|x - T(x)|^2               (transport cost ratio)
  sec   = wall time of fit + map.
Methods: fit_coupling with its defaults ('defaults') and the paper's setting ('paper',
fitting.PAPER), each on n samples per side for --epochs; POT LinearTransport on n; POT
MappingTransport (kernel linear / gaussian, bias, 10 outer iterations) on the first 1,000;
'barycentric': exact-OT barycentric projection of x_eval onto the first 2,000 training y.
Table: per problem family-dim and method, median and max over the pairs ('cost wst' is the
cost ratio farthest from 1; 'mg/cost' the fitted model's own held-out Monge gap as a
share of its transport cost: what fit_coupling tells its user; 'restarts' how many fresh
attempts fit_coupling's held-out check started, in all and at most for one pair). A cost
ratio < 1 means the map does not push mu onto nu.
"""
from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import ot
import torch

from pwae_core import gmm
from pwae_core.runs.experiments import sphere_measures
from pwae_core.runs.fitting import PAPER, fit_coupling

NEURAL = {"defaults": {}, "paper": PAPER}
METHODS = ("defaults", "paper", "linear", "mapping_linear", "mapping_gaussian", "barycentric")
FAMILY_ID = {"gaussian": 1, "mixture": 2, "sphere": 3}
KERNEL_N = 1_000     # MappingTransport: samples per side (n x n plans), 10 outer iterations
BARY_N = 2_000       # training targets for the barycentric projection


# ------------------------------------------------------------------ problems

def random_spd(d: int, rng) -> np.ndarray:
    """Q diag(0.5 * 10^U(0,1)) Q^T: (d, d), condition number <= 10."""
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (q * (0.5 * 10 ** rng.uniform(0, 1, d))) @ q.T


def gaussian_problem(d: int, rng) -> dict:
    """Samplers and closed-form map for N(m1, S1) -> N(m2, S2); map x (n, d) -> x A + b."""
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = random_spd(d, rng), random_spd(d, rng)
    A, b = ot.gaussian.bures_wasserstein_mapping(m1, m2, s1, s2)   # A symmetric, b = m2 - A m1
    draw = lambda m, s: (lambda n, g: g.multivariate_normal(m, s, n))
    return dict(sx=draw(m1, s1), sy=draw(m2, s2), T=lambda x: x @ A + b)


def torch_sampler(fn, dist):
    """Adapt a (dist, n, torch.Generator) sampler to (n, numpy Generator) -> (n, d) float64."""
    def sample(n, g):
        gen = torch.Generator().manual_seed(int(g.integers(2 ** 62)))
        return fn(dist, n, gen).double().numpy()
    return sample


def make_problems(seed: int, families, dims, pairs: int) -> list:
    """All problems: dicts with name, family, dim, sx/sy ((n, numpy gen) -> (n, d)), T or None."""
    out = []
    for fam in families:
        fam_dims = {"gaussian": dims, "mixture": [d for d in dims if d <= 5], "sphere": [3]}[fam]
        for d in fam_dims:
            for i in range(pairs):
                rng = np.random.default_rng([seed, FAMILY_ID[fam], d, i])
                if fam == "gaussian":
                    p = gaussian_problem(d, rng)
                else:
                    s = int(rng.integers(2 ** 30))
                    mu, nu = ((gmm.random_gmm(d, seed=2 * s), gmm.random_gmm(d, seed=2 * s + 1))
                              if fam == "mixture" else sphere_measures(s))
                    fn = (lambda g, n, gen: g.sample(n, gen)) if fam == "mixture" else gmm.sphere_sample
                    p = dict(sx=torch_sampler(fn, mu), sy=torch_sampler(fn, nu), T=None)
                out.append(dict(p, name=f"{fam}-{d}d", family=fam, dim=d, index=i,
                                seed=[seed, FAMILY_ID[fam], d, i]))
    return out


# ------------------------------------------------------------------ reference maps

def barycentric(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Barycentric projection of the exact OT plan between uniform x (n, d) and y (m, d):
    T(x_i) = sum_j P_ij y_j / sum_j P_ij -> (n, d)."""
    n, m = len(x), len(y)
    P = ot.emd(np.full(n, 1 / n), np.full(m, 1 / m), ot.dist(x, y), numItermax=10 ** 7)
    return (P @ y) / P.sum(1, keepdims=True)


def reference_map(p: dict, x_eval: np.ndarray, n_ref: int, repeats: int, rng) -> np.ndarray:
    """Estimate T(x_eval) (n_eval, d): mean over repeats of the exact OT assignment of x_eval
    within [x_eval; n_ref - n_eval fresh source draws] to n_ref fresh target draws."""
    k = len(x_eval)
    source = lambda: np.vstack([x_eval, p["sx"](n_ref - k, rng)]) if n_ref > k else x_eval
    est = [barycentric(source(), p["sy"](n_ref, rng))[:k] for _ in range(repeats)]
    return np.mean(est, axis=0)


# ------------------------------------------------------------------ methods

def fit_map(method: str, x: np.ndarray, y: np.ndarray, x_eval: np.ndarray, epochs: int,
            seed: int) -> tuple[np.ndarray, dict]:
    """Train `method` on x (N, d), y (M, d); return its map at x_eval (n_eval, d) and, for
    the learned maps, their held-out checks ({"mg_rel": MG / cost})."""
    if method in NEURAL:
        t = lambda a: torch.as_tensor(a, dtype=torch.float32)
        model = fit_coupling(t(x), t(y), epochs=epochs, progress=False, seed=seed, **NEURAL[method])
        held = model.info.metrics["held_out"]
        with torch.no_grad():
            return (model.transport_xy(t(x_eval)).double().numpy(),
                    {"mg_rel": held["MG"] / max(held["cost"], 1e-12),
                     "attempts": held.get("attempts", 1)})
    return _pot_map(method, x, y, x_eval), {}


def _pot_map(method: str, x: np.ndarray, y: np.ndarray, x_eval: np.ndarray) -> np.ndarray:
    """POT's maps and the exact-OT barycentric projection at x_eval (n_eval, d)."""
    if method == "linear":
        return ot.da.LinearTransport().fit(Xs=x, Xt=y).transform(Xs=x_eval)
    if method.startswith("mapping_"):
        k = min(KERNEL_N, len(x), len(y))
        mt = ot.da.MappingTransport(kernel=method[8:], bias=True, mu=1.0, eta=1e-3, max_iter=10)
        return mt.fit(Xs=x[:k], Xt=y[:k]).transform(Xs=x_eval)
    if method == "barycentric":
        return barycentric(x_eval, y[:BARY_N])
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def scores(x: np.ndarray, T: np.ndarray, T_hat: np.ndarray, var_nu: float) -> dict:
    """rel, uvp, cost ratio (see module docstring) for x, T, T_hat (n, d)."""
    err = ((T_hat - T) ** 2).sum(1).mean()
    spread = ((T - T.mean(0)) ** 2).sum(1).mean()
    cost = ((x - T_hat) ** 2).sum(1).mean() / ((x - T) ** 2).sum(1).mean()
    return dict(rel=float(np.sqrt(err / spread)), uvp=float(100 * err / var_nu), cost=float(cost))


def run_problem(p: dict, methods, n: int, epochs: int, n_eval: int, n_ref: int,
                repeats: int) -> list:
    """Every method on one problem -> rows {problem, method, rel, uvp, cost, sec}; for
    estimated references also a 'ref_noise' row (reference A scored against reference B)."""
    torch.set_num_threads(1)
    rng = np.random.default_rng(p["seed"] + [7])
    x, y = p["sx"](n, rng), p["sy"](n, rng)
    x_eval, y_big = p["sx"](n_eval, rng), p["sy"](20_000, rng)
    var_nu = float(y_big.var(0).sum())
    base = dict(problem=p["name"], family=p["family"], dim=p["dim"], index=p["index"])
    rows = []
    if p["T"] is not None:
        T = p["T"](x_eval)
    else:
        t0 = time.perf_counter()
        T, T2 = (reference_map(p, x_eval, n_ref, repeats, rng) for _ in range(2))
        rows.append(dict(base, method="ref_noise", sec=time.perf_counter() - t0,
                         **scores(x_eval, T, T2, var_nu)))
        T = (T + T2) / 2                 # the reference used below: both estimates pooled
    for m in methods:
        t0 = time.perf_counter()
        T_hat, held = fit_map(m, x, y, x_eval, epochs, seed=p["index"])
        rows.append(dict(base, method=m, sec=time.perf_counter() - t0, **held,
                         **scores(x_eval, T, T_hat, var_nu)))
    return rows


# ------------------------------------------------------------------ report

def table(rows: list) -> str:
    """One line per (problem family-dim, method): median and worst over pairs."""
    keys = sorted({(r["problem"], r["method"]) for r in rows},
                  key=lambda k: (k[0].split("-")[0], int(k[0].split("-")[1][:-1]),
                                 (("ref_noise",) + METHODS).index(k[1])))
    head = (f"{'problem':12} {'method':16} {'n':>3} {'rel med':>8} {'rel max':>8} {'uvp med':>8} "
            f"{'uvp max':>8} {'cost med':>8} {'cost wst':>8} {'sec med':>8} {'sec max':>8} "
            f"{'mg/cost':>8} {'restarts':>8}")
    lines = [head, "-" * len(head)]
    for prob, meth in keys:
        sel = [r for r in rows if r["problem"] == prob and r["method"] == meth]
        v = {k: np.array([r[k] for r in sel]) for k in ("rel", "uvp", "cost", "sec")}
        worst_cost = v["cost"][np.argmax(np.abs(v["cost"] - 1))]
        lines.append(f"{prob:12} {meth:16} {len(sel):3d} {np.median(v['rel']):8.3f} "
                     f"{v['rel'].max():8.3f} {np.median(v['uvp']):8.2f} {v['uvp'].max():8.2f} "
                     f"{np.median(v['cost']):8.3f} {worst_cost:8.3f} {np.median(v['sec']):8.1f} "
                     f"{v['sec'].max():8.1f} {_median(sel, 'mg_rel'):>8} {_restarts(sel):>8}")
    return "\n".join(lines)


def _restarts(rows: list) -> str:
    """Restarts over the pairs: total, and the most any one pair needed ("3 (2)")."""
    v = [r["attempts"] - 1 for r in rows if "attempts" in r]
    return f"{sum(v)} ({max(v)})" if v else "-"


def _median(rows: list, key: str) -> str:
    v = [r[key] for r in rows if key in r]
    return f"{np.median(v):.3f}" if v else "-"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pairs", type=int, default=None, help="problems per family and dim (10)")
    ap.add_argument("--dims", default=None, help="comma list (2,5,10)")
    ap.add_argument("--families", default="gaussian,mixture,sphere")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--n", type=int, default=None, help="training samples per side (20000)")
    ap.add_argument("--epochs", type=int, default=None, help="neural methods' epochs (50)")
    ap.add_argument("--n-eval", type=int, default=2_000, help="held-out evaluation points")
    ap.add_argument("--n-ref", type=int, default=None, help="reference OT sample size (4000)")
    ap.add_argument("--ref-repeats", type=int, default=None, help="reference repeats R (4)")
    ap.add_argument("--quick", action="store_true",
                    help="3 pairs, d in 2,5, n 4000, epochs 10, n_ref 3000, R 2")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--out", default=None, help="JSON path")
    a = ap.parse_args(argv)
    q = a.quick
    pick = lambda v, full, quick: v if v is not None else (quick if q else full)
    cfg = dict(seed=a.seed, pairs=pick(a.pairs, 10, 3), dims=pick(a.dims, "2,5,10", "2,5"),
               families=a.families, methods=a.methods, n=pick(a.n, 20_000, 4_000),
               epochs=pick(a.epochs, 50, 10), n_eval=a.n_eval, n_ref=pick(a.n_ref, 4_000, 3_000),
               ref_repeats=pick(a.ref_repeats, 4, 2), jobs=a.jobs,
               kernel_n=KERNEL_N, bary_n=BARY_N)
    methods = cfg["methods"].split(",")
    bad = set(methods) - set(METHODS)
    if bad:
        ap.error(f"unknown methods {sorted(bad)}; choose from {METHODS}")
    if cfg["n_ref"] < cfg["n_eval"]:
        ap.error("--n-ref must be >= --n-eval (the evaluation points are part of the reference sample)")
    problems = make_problems(a.seed, cfg["families"].split(","),
                             [int(d) for d in cfg["dims"].split(",")], cfg["pairs"])
    args = (methods, cfg["n"], cfg["epochs"], cfg["n_eval"], cfg["n_ref"],
            cfg["ref_repeats"])
    t0 = time.perf_counter()
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            futs = [ex.submit(run_problem, p, *args) for p in _picklable(problems)]
            rows = [r for f in futs for r in f.result()]
    else:
        rows = [r for p in problems for r in run_problem(p, *args)]
    cfg["wall_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(cfg))
    print(table(rows))
    result = dict(config=cfg, rows=rows)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)
    return result


def _picklable(problems: list) -> list:
    """Problems hold closures; workers rebuild them from their seed instead."""
    return [_Lazy(p["family"], p["dim"], p["index"], p["seed"][0]) for p in problems]


class _Lazy(dict):
    """A problem rebuilt in the worker from (family, dim, index, seed) (closures don't pickle)."""
    def __init__(self, family, dim, index, seed):
        super().__init__(make_problems(seed, [family], [dim], index + 1)[index])
        self._key = (family, dim, index, seed)

    def __reduce__(self):
        return (_Lazy, self._key)


if __name__ == "__main__":
    main()
