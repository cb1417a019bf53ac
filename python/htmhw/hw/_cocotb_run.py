"""Subprocess entry point of htmhw.hdl.run_cocotb: build sp_top (or spec["top"]) with
cocotb's runner on Icarus and run hdl_ref/tb/cocotb_sp.py. Argument: a JSON spec
(golden_dir, work_dir, sources, tb_dir, parameters, top). Exit code 0 only when the cocotb test passed."""
import json
import sys
from pathlib import Path


def main(argv) -> int:
    from cocotb_tools.runner import get_results, get_runner

    spec = json.loads(argv[0])
    work = Path(spec["work_dir"])
    build_dir = work / "sim_build"
    runner = get_runner("icarus")
    top = spec.get("top", "sp_top")
    runner.build(sources=spec["sources"], hdl_toplevel=top, parameters=spec["parameters"],
                 build_dir=build_dir, always=True, timescale=("1ns", "1ps"))
    sys.path.insert(0, spec["tb_dir"])  # the runner passes sys.path to the simulator as PYTHONPATH
    xml = runner.test(hdl_toplevel=top, test_module="cocotb_sp", build_dir=build_dir, test_dir=work,
                      extra_env={"HTMHW_GOLDEN_DIR": spec["golden_dir"], "HTMHW_TOP": top},
                      timescale=("1ns", "1ps"))
    num_tests, num_failed = get_results(xml)
    return 0 if num_tests > 0 and num_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
