"""Subprocess entry point of the cocotb runs (htmhw.hw.hdl.run_cocotb and
run_cocotb_testbench): build a toplevel with cocotb's runner on Icarus and run a cocotb
test module. Argument: a JSON spec with work_dir, sources, tb_dir, parameters and,
optionally, toplevel (default sp_top), test_module (default cocotb_sp), includes
(directories searched by `include), extra_env (environment of the simulation) and
golden_dir (sets HTMHW_GOLDEN_DIR, which cocotb_sp reads). Prints
"cocotb results: N tests, N failed"; the exit code is 0 only when at least one test ran
and none failed."""
import json
import sys
from pathlib import Path


def main(argv) -> int:
    from cocotb_tools.runner import get_results, get_runner

    spec = json.loads(argv[0])
    toplevel = spec.get("toplevel", "sp_top")
    work = Path(spec["work_dir"])
    build_dir = work / "sim_build"
    env = dict(spec.get("extra_env", {}))
    if "golden_dir" in spec:
        env["HTMHW_GOLDEN_DIR"] = spec["golden_dir"]
    runner = get_runner("icarus")
    runner.build(sources=spec["sources"], includes=spec.get("includes", []), hdl_toplevel=toplevel,
                 parameters=spec["parameters"], build_dir=build_dir, always=True, timescale=("1ns", "1ps"))
    sys.path.insert(0, spec["tb_dir"])  # the runner passes sys.path to the simulator as PYTHONPATH
    xml = work / "results.xml"  # absolute: the runner then writes it there under pytest too
    try:
        runner.test(hdl_toplevel=toplevel, test_module=spec.get("test_module", "cocotb_sp"), build_dir=build_dir,
                    test_dir=work, extra_env=env, timescale=("1ns", "1ps"), results_xml=str(xml))
    except SystemExit:
        # The runner exits when the simulator did, and (when it sees PYTEST_CURRENT_TEST,
        # inherited from a pytest run) when a test failed; the results file says which.
        pass
    try:
        num_tests, num_failed = get_results(xml)
    except RuntimeError as e:  # no results file: the simulation did not get to run the tests
        print(f"cocotb results: none ({e})", flush=True)
        return 1
    print(f"cocotb results: {num_tests} tests, {num_failed} failed", flush=True)
    return 0 if num_tests > 0 and num_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
