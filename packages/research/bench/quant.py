"""What a quant would write for the same job: read the grid, compute the discrete Almgren-Chriss kappa,
E and V per row with numpy (closed forms, eqs. 19-22 of the paper, with N intervals), write them.
Parquet through pyarrow; CSV through numpy alone (loadtxt / savetxt), for a machine without pyarrow.
Usage: python3 quant.py GRID.parquet|GRID.csv OUT; prints the seconds taken."""
import sys
import time

import numpy as np

COLUMNS = ["shares", "horizon", "slices", "volatility", "temporary_impact", "permanent_impact", "fixed_cost", "risk_aversion"]


def frontier(X, T, N, sigma, eta, gamma, eps, lam):
    tau = T / N
    eta_t = eta * (1 - gamma * tau / (2 * eta))
    kt2 = lam * sigma**2 / eta_t
    kappa = 2 / tau * np.arcsinh(tau * np.sqrt(kt2) / 2)
    with np.errstate(all="ignore"):
        kT, kq = kappa * T, kappa * tau
        s = np.sinh(kT)
        E = 0.5 * gamma * X**2 + eps * X + eta_t * X**2 / tau**2 * np.tanh(kq / 2) * (
            tau * np.sinh(2 * kT) + 2 * T * np.sinh(kq)
        ) / (2 * s**2)
        V = 0.5 * sigma**2 * X**2 * (tau * s * np.cosh(kappa * (T - tau)) - T * np.sinh(kq)) / (s**2 * np.sinh(kq))
        straight = kappa == 0  # lambda = 0: the straight line
        E = np.where(straight, 0.5 * gamma * X**2 + eps * X + eta_t * X**2 / T, E)
        V = np.where(straight, sigma**2 * X**2 * T * (1 - 1 / N) * (1 - 0.5 / N) / 3, V)
    return kappa, E, V


t0 = time.perf_counter()
if sys.argv[1].endswith(".csv"):
    grid = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
    kappa, E, V = frontier(*(grid[:, i] for i in range(len(COLUMNS))))
    out = np.column_stack([grid, kappa, E, V, np.sqrt(V)])
    header = ",".join(COLUMNS + ["kappa", "expected_cost", "variance", "std_dev"])
    np.savetxt(sys.argv[2], out, delimiter=",", header=header, comments="", fmt="%.17g")
else:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_table(sys.argv[1])
    kappa, E, V = frontier(*(t.column(c).to_numpy() for c in COLUMNS))
    out = t.append_column("kappa", pa.array(kappa)).append_column("expected_cost", pa.array(E))
    out = out.append_column("variance", pa.array(V)).append_column("std_dev", pa.array(np.sqrt(V)))
    pq.write_table(out, sys.argv[2], compression="none")
print(f"{time.perf_counter() - t0:.4f}")
