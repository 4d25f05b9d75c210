"""Named profiles: the stacks' choices, used by scenarios, the CLI and the packetdrill runner."""

import json
from dataclasses import fields

import pytest

from simulator import EndpointConfig, ScenarioError, builtin_names, load
from simulator.cli import main
from simulator.model.profiles import DEFAULT_PROFILE, PROFILES, profile, settings
from simulator.model.settings import SOURCES
from simulator.sim.scenario import parse


def test_there_is_a_plain_rfc_a_linux_and_a_freebsd_profile_and_linux_is_the_default():
    assert {"rfc", "linux", "freebsd"} <= set(PROFILES)
    assert DEFAULT_PROFILE == "linux"
    assert all(len(p.description) > 60 for p in PROFILES.values())


def test_the_plain_rfc_profile_has_no_rfc5961_and_bare_resets():
    cfg = profile("rfc").config
    assert not cfg.challenge_syn and not cfg.challenge_rst and not cfg.rst_carries_ack


def test_an_unknown_profile_is_one_clear_error():
    with pytest.raises(ScenarioError, match="no profile called 'bsd'"):
        profile("bsd")


def test_a_scenario_endpoint_can_name_a_profile_and_still_override_settings():
    scenario = parse(
        '[endpoint.client]\nprofile = "freebsd"\nmss = 1000\nscript = ["connect server"]\n'
        '[endpoint.server]\nscript = ["listen"]\n'
    )
    client, server = scenario.endpoints
    assert client.config.window_scale == 6 and client.config.mss == 1000
    assert server.config == profile("linux").config


def test_a_bad_profile_in_a_scenario_file_is_refused():
    with pytest.raises(ScenarioError, match="profile must be one of"):
        parse('[endpoint.client]\nprofile = "windows"\n')


def test_run_with_a_profile_changes_what_goes_on_the_wire(capsys):
    main(["run", "three_way_handshake", "--profile", "freebsd", "--json"])
    syn = next(e["segment"] for e in json.loads(capsys.readouterr().out)["events"] if e["kind"] == "send")
    assert syn["options"]["wscale"] == 6 and syn["options"]["sack_permitted"]
    main(["run", "three_way_handshake", "--json"])
    syn = next(e["segment"] for e in json.loads(capsys.readouterr().out)["events"] if e["kind"] == "send")
    assert syn["options"] == {"mss": 1460}


def test_the_profile_option_keeps_the_scenarios_own_settings():
    scenario = load("data_transfer").with_options(profile_name="freebsd")
    assert all(s.config.mss == 1000 for s in scenario.endpoints)  # data_transfer sets mss = 1000
    assert all(s.config.rfc1337 for s in scenario.endpoints)


def test_profiles_command_lists_them(capsys):
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    assert "linux (default)" in out and "freebsd" in out and "rfc" in out


def test_every_setting_says_where_it_comes_from():
    # a profile that follows a kernel instead of the RFC names its source: tcpsim profiles prints it
    assert set(SOURCES) == {f.name for f in fields(EndpointConfig)}
    for source in SOURCES.values():
        assert all((source.what, source.rfc, source.linux, source.freebsd))


def test_tcpsim_profiles_lists_every_setting_in_which_the_profiles_differ(capsys):
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    differing = [name for name, _ in settings()]
    assert {"rfc5961", "delay_fin_ack", "min_rto", "bsd_time_wait"} <= set(differing)
    for name in differing:
        assert f"\n  {name} " in out
        assert SOURCES[name].what in " ".join(out.split())
    assert "\n  mtu " not in out  # the same in every profile: only with --all
    assert main(["profiles", "--all"]) == 0
    assert "\n  mtu " in capsys.readouterr().out


@pytest.mark.parametrize("name", builtin_names())
def test_every_built_in_scenario_names_its_profile_and_why(name):
    scenario = load(name)
    assert scenario.profile in PROFILES
    assert len(scenario.profile_reason.split()) >= 8, "say why this profile suits the lesson"


@pytest.mark.parametrize("name", builtin_names())
@pytest.mark.parametrize("profile_name", ["linux", "rfc", "freebsd"])
def test_every_built_in_scenario_runs_under_every_profile(name, profile_name):
    trace = load(name).with_options(profile_name=profile_name).run()
    assert trace.of_kind("send"), "nothing was sent"  # (a model error would have raised)


@pytest.mark.parametrize("name", ["min_rto", "msl", "keepalive_idle", "delayed_ack_min", "connect_timeout"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_setting_that_is_not_a_finite_number_is_refused_by_name(name, value):
    with pytest.raises(ScenarioError, match=f"{name} must be a finite number"):
        EndpointConfig(**{name: value})
