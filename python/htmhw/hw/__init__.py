"""The hardware side of the fixed-point contract: what a designer takes to an FPGA or an ASIC.

- ``golden``: golden test vectors of the datapath (docs/golden.md) and their loader;
- ``memh``: the ``$readmemh`` word files those directories hold;
- ``hdl``: simulation of the Verilog reference (``hdl_ref/``) against golden vectors, the
  C++ cycle model, yosys resource counts;
- ``fpga``: synthesis, place and route on open toolchains (docs/hardware.md).

The contract's configuration itself, ``HardwareConfig``, is part of the model
(``htmhw.datapath``): the fixed-point pooler needs it with or without any hardware.
"""
