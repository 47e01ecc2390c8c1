"""The CMS study's named complexity models, registered with the core's complexity parser.

* ``l1t-linear``: ops = x / 2e6 (the Level-1 model of the published study)
* ``hlt-cpu`` / ``hlt-gpu``: the published cubic fits of HLT wall time (s) versus event
  size (bytes); the GPU one is half the CPU one. With a stage's op efficiency of 16 J/op
  (one 16 W core-second per "op"), they give J per event.
"""

from __future__ import annotations

from ..model.complexity import Linear, Polynomial, register_complexity

__all__ = ["HLT_CPU_COEFFS", "HLT_GPU_COEFFS"]

#: Published cubic fit of CMS/ATLAS HLT CPU wall time (s) versus event size (bytes):
#: (k1, k2, k3) for k1*x + k2*x**2 + k3*x**3.
HLT_CPU_COEFFS = (1.41173228e-07, 1.88331368e-13, 2.22744374e-20)
#: The published GPU model: half the CPU wall time.
HLT_GPU_COEFFS = (7.05866044e-08, 9.41656899e-14, 1.11372180e-20)

register_complexity("l1t-linear", lambda: Linear(2.0e6, "l1t-linear"), replace=True)
register_complexity("hlt-cpu", lambda: Polynomial(HLT_CPU_COEFFS, "hlt-cpu"), replace=True)
register_complexity("hlt-gpu", lambda: Polynomial(HLT_GPU_COEFFS, "hlt-gpu"), replace=True)
