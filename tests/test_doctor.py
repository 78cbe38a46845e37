"""``mnist-kit doctor`` passes here, and each capability taken away fails with its own one-line reason."""

import stat

import pytest

from mnist_kit import cli, doctor


def test_doctor_passes_on_this_machine(capsys):
    assert cli.main(["doctor"]) == 0, capsys.readouterr()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "ok   bubblewrap",
        "ok   namespaces",
        "ok   util-linux",
        "ok   budget",
        "ok   confinement",
        "ok   packages",
        "ok   data",
        "ok   calibration",
    ]


def test_the_calibration_line_names_each_questions_cpu_limit(monkeypatch):
    from mnist_kit import calibration

    monkeypatch.setattr(calibration, "machine_calibration", lambda: calibration.Calibration(0.2, {"q1": 0.5, "q6": 10.0}))
    finding = doctor.speed()
    assert finding.ok and finding.detail == "the workload takes 0.200 CPU-s here; CPU limits: q1 30, q6 200 CPU-s"


def test_a_calibration_that_cannot_be_measured_or_has_no_reference_costs_fails_in_one_line(monkeypatch):
    from mnist_kit import calibration

    def fails():
        raise calibration.CalibrationError("could not measure this machine's speed (boom); check that numpy imports")

    monkeypatch.setattr(calibration, "machine_calibration", fails)
    assert doctor.speed() == doctor.Finding("calibration", False, "could not measure this machine's speed (boom); check that numpy imports")
    monkeypatch.setattr(calibration, "machine_calibration", lambda: calibration.Calibration(0.2, {}))
    finding = doctor.speed()
    assert not finding.ok and "no reference costs" in finding.detail and "\n" not in finding.detail


def test_without_bubblewrap_it_says_how_to_install_it():
    finding = doctor.bubblewrap(which=lambda name: None)
    assert not finding.ok and "apt-get install bubblewrap" in finding.line()


def _refusing_bwrap(tmp_path, message):
    fake = tmp_path / "bwrap"
    fake.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return str(fake)


@pytest.mark.parametrize(
    "setting, status, fix",
    [
        (("user", "max_user_namespaces", "0"), "", "sudo sysctl -w user.max_user_namespaces=15000"),
        (None, "Name:\tpython\nSeccomp:\t2\n", "--security-opt seccomp=unconfined"),
    ],
)
def test_refused_namespaces_name_the_reason_and_the_fix(tmp_path, setting, status, fix):
    sysctl = tmp_path / "sys"
    if setting:
        (sysctl / setting[0]).mkdir(parents=True)
        (sysctl / setting[0] / setting[1]).write_text(setting[2])
    (tmp_path / "status").write_text(status)
    bwrap = _refusing_bwrap(tmp_path, "bwrap: No permissions to creating new namespace")
    finding = doctor.namespaces(bwrap, sysctl, tmp_path / "status")
    assert not finding.ok and "No permissions to creating new namespace" in finding.detail and fix in finding.detail
    assert "\n" not in finding.line()


def test_apparmors_restriction_is_named_for_an_unprivileged_grader(tmp_path, monkeypatch):
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "apparmor_restrict_unprivileged_userns").write_text("1")
    monkeypatch.setattr(doctor.os, "geteuid", lambda: 1000)
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in doctor.namespace_fix(tmp_path, tmp_path / "none")


def test_without_a_cgroup_controller_the_budget_fails(tmp_path):
    finding = doctor.memory_and_pids(root=tmp_path)
    assert not finding.ok and "no memory cgroup here" in finding.detail and "cgroup v2" in finding.detail


def test_a_package_that_is_not_the_pinned_version_is_named():
    finding = doctor.pinned_packages(requires=["numpy==0.0.1", "scikit-learn>=1"])
    assert not finding.ok and finding.detail.startswith("numpy ") and "(pinned 0.0.1)" in finding.detail
    assert "scikit-learn" not in finding.detail


def test_the_cli_exits_non_zero_when_a_check_fails(monkeypatch, capsys):
    found = [doctor.Finding("bubblewrap", False, "not installed"), doctor.Finding("data", True, "as shipped")]
    monkeypatch.setattr(doctor, "diagnose", lambda: found)
    assert cli.main(["doctor"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["FAIL bubblewrap: not installed", "ok   data: as shipped"]
    assert captured.err.count("\n") == 1
