"""One RK4 step of the shots' equations of motion in one compiled call (Numba, ``cache=True``).

The right-hand side is that of :class:`hdsim.engagement.flyout._Dynamics` (its NumPy form is
kept as the reference and the tests run both): gravity (point mass + J2,
:func:`hdsim.earth.free_fall.gravity_j2_into`), Coriolis and centrifugal terms, drag with the
tabulated 1976 density at the geodetic altitude (Vermeille's closed form, as
:func:`hdsim.earth.ecef_to_geodetic`), thrust along the velocity during the burn, and the
guidance: true PN on the source state, the augmented term for APN, projection perpendicular
to the velocity, the lateral limit (with the lift limit ``q A CL_max / m`` where set), and the
first-order lag.  The fly-out loop (:func:`hdsim.engagement.flyout.fly_shots`) spent its time
in NumPy calls on arrays of a few shots; here a step is one call (issue: speed).
"""

from __future__ import annotations

import numba
import numpy as np

from hdsim.earth.free_fall import gravity_j2_into

__all__ = ["rk4_shot_step"]


@numba.njit(cache=True, inline="always")
def _altitude(px, py, pz, a, e2):
    """Geodetic height (m): Vermeille (2004), the operations of ``ecef_to_geodetic``."""
    if e2 == 0.0:
        return np.sqrt(px * px + py * py + pz * pz) - a
    e4 = e2 * e2
    rxy2 = px * px + py * py
    rxy = np.sqrt(rxy2)
    p = rxy2 / (a * a)
    q = (1.0 - e2) / (a * a) * pz * pz
    r = (p + q - e4) / 6.0
    s = e4 * p * q / (4.0 * r * r * r)
    t = np.cbrt(1.0 + s + np.sqrt(s * (2.0 + s)))
    u = r * (1.0 + t + 1.0 / t)
    v = np.sqrt(u * u + e4 * q)
    w = e2 * (u + v - q) / (2.0 * v)
    k = np.sqrt(u + v + w * w) - w
    d = k * rxy / (k + e2)
    dz = np.sqrt(d * d + pz * pz)
    return (k + e2 - 1.0) / k * dz


@numba.njit(cache=True, inline="always")
def _density(alt, grid, log_rho, top):
    """``exp(np.interp(alt, grid, log_rho))``, 0 above ``top``."""
    if alt > top:
        return 0.0
    n = grid.shape[0]
    if alt <= grid[0]:
        return np.exp(log_rho[0])
    if alt >= grid[n - 1]:
        return np.exp(log_rho[n - 1])
    j = np.searchsorted(grid, alt, side="right") - 1
    f = (alt - grid[j]) / (grid[j + 1] - grid[j])
    return np.exp(log_rho[j] + f * (log_rho[j + 1] - log_rho[j]))


@numba.njit(cache=True)
def _deriv(x, src, use_src, acc, use_acc, t_local, t_step, pv, pb, earth, atm_grid, atm_lr,
           atm_top, out):
    """``dx/dt`` of states ``x (n, 9)`` into ``out (n, 9)``.

    ``pv (n, 8)``: cda_2m, thrust, burn_time, max_lat, nav_ratio, tau_safe, cla_2m, unused;
    ``pb (n, 5)`` flags: guided, apn, lag, aero, alive; ``earth``: mu, j2, r_eq, omega,
    gravity, rotation, atmosphere, a, e2.
    """
    mu, j2, req, w = earth[0], earth[1], earth[2], earth[3]
    grav, rot, atmo, a_m, e2 = earth[4] > 0.0, earth[5] > 0.0, earth[6] > 0.0, earth[7], earth[8]
    g = np.empty(3)
    for i in range(x.shape[0]):
        px, py, pz = x[i, 0], x[i, 1], x[i, 2]
        vx, vy, vz = x[i, 3], x[i, 4], x[i, 5]
        lx, ly, lz = x[i, 6], x[i, 7], x[i, 8]
        if grav:
            gravity_j2_into(px, py, pz, mu, j2, req, g, 0)
        else:
            g[0] = 0.0
            g[1] = 0.0
            g[2] = 0.0
        fx, fy, fz = g[0], g[1], g[2]
        if rot:
            fx = fx + (2.0 * w * vy + w * w * px)
            fy = fy + (-2.0 * w * vx + w * w * py)
            fz = fz + 0.0
        ax, ay, az = fx, fy, fz
        speed = np.sqrt(vx * vx + vy * vy + vz * vz)
        sp = speed if speed > 0.0 else 1.0
        hx, hy, hz = vx / sp, vy / sp, vz / sp
        rho = 0.0
        if atmo:
            rho = _density(_altitude(px, py, pz, a_m, e2), atm_grid, atm_lr, atm_top)
            kd = rho * speed * pv[i, 0]
            ax = ax - kd * vx
            ay = ay - kd * vy
            az = az - kd * vz
        if (t_step < pv[i, 2]) and (t_local <= pv[i, 2]):
            ax = ax + pv[i, 1] * hx
            ay = ay + pv[i, 1] * hy
            az = az + pv[i, 1] * hz
        dlx = 0.0
        dly = 0.0
        dlz = 0.0
        if use_src:
            rx, ry, rz = src[i, 0] - px, src[i, 1] - py, src[i, 2] - pz
            wx, wy, wz = src[i, 3] - vx, src[i, 4] - vy, src[i, 5] - vz
            rn = np.sqrt(rx * rx + ry * ry + rz * rz)
            rn1 = rn if rn > 0.0 else 1.0
            ux, uy, uz = rx / rn1, ry / rn1, rz / rn1
            vc = -(rx * wx + ry * wy + rz * wz) / rn1
            rr = rx * rx + ry * ry + rz * rz
            rr1 = rr if rr > 0.0 else 1.0
            ox = (ry * wz - rz * wy) / rr1
            oy = (rz * wx - rx * wz) / rr1
            oz = (rx * wy - ry * wx) / rr1
            kn = pv[i, 4] * vc
            cx = kn * (oy * uz - oz * uy)
            cy = kn * (oz * ux - ox * uz)
            cz = kn * (ox * uy - oy * ux)
            if use_acc and pb[i, 1]:
                tx, ty, tz = acc[i, 0] - fx, acc[i, 1] - fy, acc[i, 2] - fz
                dd1 = rr if rr > 0.0 else 1.0
                s = (tx * rx + ty * ry + tz * rz) / dd1
                hn = 0.5 * pv[i, 4]
                cx = cx + hn * (tx - s * rx)
                cy = cy + hn * (ty - s * ry)
                cz = cz + hn * (tz - s * rz)
            limit = pv[i, 3]
            if pb[i, 3]:
                q = rho * speed * speed * pv[i, 6]
                if q < limit:
                    limit = q
            vv = vx * vx + vy * vy + vz * vz
            vv1 = vv if vv > 0.0 else 1.0
            s = (cx * vx + cy * vy + cz * vz) / vv1
            cx, cy, cz = cx - s * vx, cy - s * vy, cz - s * vz
            cn = np.sqrt(cx * cx + cy * cy + cz * cz)
            if cn > limit:
                sc = limit / (cn if cn > 0.0 else 1.0)
                cx, cy, cz = cx * sc, cy * sc, cz * sc
            if not (pb[i, 0] and np.isfinite(cx) and np.isfinite(cy) and np.isfinite(cz)):
                cx, cy, cz = 0.0, 0.0, 0.0
            if pb[i, 2]:
                tau = pv[i, 5]
                dlx, dly, dlz = (cx - lx) / tau, (cy - ly) / tau, (cz - lz) / tau
                s = (lx * vx + ly * vy + lz * vz) / vv1
                ax = ax + (lx - s * vx)
                ay = ay + (ly - s * vy)
                az = az + (lz - s * vz)
            else:
                ax, ay, az = ax + cx, ay + cy, az + cz
        out[i, 0], out[i, 1], out[i, 2] = vx, vy, vz
        out[i, 3], out[i, 4], out[i, 5] = ax, ay, az
        out[i, 6], out[i, 7], out[i, 8] = dlx, dly, dlz


@numba.njit(cache=True)
def rk4_shot_step(x, tl, dt, s0, sh, s1, c0, ch, c1, use_src, use_acc, pv, pb, earth,
                  atm_grid, atm_lr, atm_top):
    """One classical RK4 step of length ``dt`` from stage time ``tl`` for states ``x (n, 9)``
    with guidance sources at the start, middle and end of the step (``s* (n, 6)``, and APN
    accelerations ``c* (n, 3)``).  Returns ``(x_next, k1)``: the new states and the
    derivative at the start (its acceleration part is the step's initial acceleration)."""
    n = x.shape[0]
    k1 = np.empty((n, 9))
    k2 = np.empty((n, 9))
    k3 = np.empty((n, 9))
    k4 = np.empty((n, 9))
    y = np.empty((n, 9))
    _deriv(x, s0, use_src, c0, use_acc, tl, tl, pv, pb, earth, atm_grid, atm_lr, atm_top, k1)
    for i in range(n):
        for c in range(9):
            y[i, c] = x[i, c] + 0.5 * dt * k1[i, c]
    _deriv(y, sh, use_src, ch, use_acc, tl + 0.5 * dt, tl, pv, pb, earth, atm_grid, atm_lr,
           atm_top, k2)
    for i in range(n):
        for c in range(9):
            y[i, c] = x[i, c] + 0.5 * dt * k2[i, c]
    _deriv(y, sh, use_src, ch, use_acc, tl + 0.5 * dt, tl, pv, pb, earth, atm_grid, atm_lr,
           atm_top, k3)
    for i in range(n):
        for c in range(9):
            y[i, c] = x[i, c] + dt * k3[i, c]
    _deriv(y, s1, use_src, c1, use_acc, tl + dt, tl, pv, pb, earth, atm_grid, atm_lr, atm_top,
           k4)
    xn = np.empty((n, 9))
    for i in range(n):
        for c in range(9):
            xn[i, c] = x[i, c] + (dt / 6.0) * (k1[i, c] + 2.0 * k2[i, c] + 2.0 * k3[i, c]
                                               + k4[i, c])
    return xn, k1


@numba.njit(cache=True)
def shot_derivative(x, src, use_src, acc, use_acc, t_local, t_step, pv, pb, earth, atm_grid,
                    atm_lr, atm_top):
    """``dx/dt`` of states ``x (n, 9)`` (the compiled right-hand side, for events)."""
    out = np.empty((x.shape[0], 9))
    _deriv(x, src, use_src, acc, use_acc, t_local, t_step, pv, pb, earth, atm_grid, atm_lr,
           atm_top, out)
    return out
