#!/usr/bin/env python3
"""Runs a GitHub Actions workflow or a GitLab CI pipeline file locally, so the
recipes under examples/ci/ are executed by the test suite, not only read.

  ci_run.py github WORKFLOW.yml --state DIR --repo DIR --event EVENT --run-id N
            [--secrets JSON] [--inputs JSON] [--bin DIR]
  ci_run.py gitlab PIPELINE.yml --state DIR --repo DIR --pipeline-id N
            [--variables JSON] [--manual JOB] [--bin DIR]

The file is parsed with PyYAML. Jobs run in dependency order (GitHub needs:,
GitLab stages:/needs:), each step's run: (GitHub) or the job's before_script
and script (GitLab, one shell as the runner does) in a fresh bash with the
job's environment, in a fresh copy of --repo for each job. GitHub expressions
${{ ... }} are replaced from the fixture (secrets, inputs, the run's context,
steps' and jobs' outputs); anything else in them fails. uses: steps are mapped
to local equivalents by ACTIONS below; an action not in it fails, as does a
key this runner does not know, so nothing in a recipe goes unexecuted.
`apt-get install` lines are skipped when every package named is installed
(dpkg), and fail otherwise: a test never installs.

--state DIR holds the artifacts of every run (GitHub: DIR/github/RUN/NAME;
GitLab: DIR/gitlab/PIPELINE/JOB), so a later run (workflow_dispatch, a manual
job) finds what an earlier one uploaded. Exit 0 when every job that ran
succeeded; 1 when a step failed (its exit code is printed); 2 when the file
uses something this runner does not support.
"""
import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml


class Unsupported(Exception):
    """The recipe uses something this runner cannot execute faithfully."""


class StepFailed(Exception):
    pass


def say(msg):
    print(f"ci_run: {msg}", file=sys.stderr, flush=True)


def check_keys(what, mapping, allowed):
    unknown = set(mapping) - set(allowed)
    if unknown:
        raise Unsupported(f"{what}: keys not supported by the local runner: {sorted(unknown)}")


# ---- apt-get lines

def apt_line(line):
    """A script line with apt-get: '' when it may be skipped; raises otherwise."""
    words = shlex.split(line, comments=True)
    if words and words[0] == "sudo":
        words = words[1:]
    if not words or words[0] != "apt-get":
        raise Unsupported(f"apt-get only as a command of its own: {line.strip()}")
    args = [w for w in words[1:] if not w.startswith("-")]
    if args == ["update"]:
        return ""
    if not args or args[0] != "install":
        raise Unsupported(f"apt-get: only update and install: {line.strip()}")
    for pkg in args[1:]:
        rc = subprocess.run(["dpkg", "-s", pkg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
        if rc != 0:
            raise StepFailed(f"apt-get install {pkg}: not installed here, and a test does not "
                             "install (scripts/setup-deps.sh)")
    return ""


def strip_apt(script):
    out = []
    for line in script.splitlines():
        if re.search(r"\bapt-get\b", line) and not line.lstrip().startswith("#"):
            out.append(apt_line(line) + f"  # ci_run: skipped, installed: {line.strip()}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


# ---- running a script

def run_bash(script, env, cwd, label, flags):
    """Runs script in a fresh bash (flags as the CI system uses, plus -u)."""
    script = strip_apt(script)
    with tempfile.NamedTemporaryFile("w", suffix=".sh", dir=env["RUNNER_TEMP_BASE"],
                                     delete=False) as f:
        f.write(script)
        path = f.name
    say(f"--- {label}")
    rc = subprocess.run(["bash", "--noprofile", "--norc", *flags, path], cwd=cwd,
                        env={k: v for k, v in env.items() if k != "RUNNER_TEMP_BASE"}).returncode
    os.unlink(path)
    if rc != 0:
        raise StepFailed(f"{label}: exit {rc}")


def base_env(home, tmp, bindir, image):
    env = {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin" if bindir else "/usr/local/bin:/usr/bin:/bin",
        "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8", "CI": "true", "RUNNER_TEMP_BASE": tmp,
    }
    # The sanitizers' settings of the suite (tests/CMakeLists.txt), for an ASan signet.
    for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if image and "signet" in image:
        # What the signet image sets (Dockerfile): a module and a token dir in HOME.
        conf = os.path.join(home, ".config/softhsm2/softhsm2.conf")
        tokens = os.path.join(home, ".local/share/softhsm2/tokens")
        os.makedirs(os.path.dirname(conf), exist_ok=True)
        os.makedirs(tokens, exist_ok=True)
        with open(conf, "w") as f:
            f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
        env["SOFTHSM2_CONF"] = conf
        env["SIGNET_PKCS11_MODULE"] = "/usr/lib/softhsm/libsofthsm2.so"
    return env


def fresh_dirs(root, name):
    d = os.path.join(root, name)
    shutil.rmtree(d, ignore_errors=True)
    for sub in ("work", "home", "tmp"):
        os.makedirs(os.path.join(d, sub))
    return [os.path.join(d, sub) for sub in ("work", "home", "tmp")]


def copy_tree(src, dst):
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)


def expand_paths(base, patterns):
    """Files named by patterns (globs) under base; each pattern must match."""
    files = []
    for pat in patterns:
        hits = sorted(glob.glob(os.path.join(base, pat), recursive=True))
        if not hits:
            raise StepFailed(f"artifact path {pat}: no file matches")
        for h in hits:
            if os.path.isdir(h):
                for dp, _, fns in os.walk(h):
                    files += [os.path.join(dp, fn) for fn in fns]
            else:
                files.append(h)
    return files


# ---- GitHub Actions

GH_WORKFLOW_KEYS = ("name", "run-name", "on", True, "permissions", "defaults", "env", "concurrency",
                    "jobs")
GH_JOB_KEYS = ("name", "runs-on", "container", "env", "needs", "steps", "if", "environment",
               "permissions", "outputs", "defaults", "timeout-minutes", "concurrency")
GH_STEP_KEYS = ("name", "id", "run", "uses", "with", "env", "shell", "working-directory")
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def gh_lookup(ctx, expr):
    if not re.fullmatch(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*", expr):
        raise Unsupported(f"expression not supported by the local runner: ${{{{ {expr} }}}}")
    v = ctx
    for part in expr.split("."):
        if not isinstance(v, dict) or part not in v:
            raise Unsupported(f"${{{{ {expr} }}}}: not in the fixture's context")
        v = v[part]
    if isinstance(v, dict):
        raise Unsupported(f"${{{{ {expr} }}}}: not a value")
    return str(v)


def gh_subst(ctx, text):
    if not isinstance(text, str):
        return "" if text is None else str(text).lower() if isinstance(text, bool) else str(text)
    return EXPR.sub(lambda m: gh_lookup(ctx, m.group(1)), text)


def gh_if(ctx, cond):
    """if: conditions: only github.event_name == / != 'NAME'."""
    if cond is None:
        return True
    c = EXPR.sub(lambda m: m.group(1), str(cond)).strip()
    m = re.fullmatch(r"github\.event_name\s*(==|!=)\s*'([\w-]+)'", c)
    if not m:
        raise Unsupported(f"if: {cond}: only github.event_name == / != 'NAME' is supported")
    same = ctx["github"]["event_name"] == m.group(2)
    return same if m.group(1) == "==" else not same


def gh_order(jobs):
    order, seen = [], set()

    def visit(name, stack):
        if name in seen:
            return
        if name in stack:
            raise Unsupported(f"needs: cycle at {name}")
        if name not in jobs:
            raise Unsupported(f"needs: no job {name}")
        for dep in as_list(jobs[name].get("needs")):
            visit(dep, stack + [name])
        seen.add(name)
        order.append(name)

    for name in jobs:
        visit(name, [])
    return order


def gh_upload(state_run, ws, w):
    check_keys("upload-artifact with", w, ("name", "path", "if-no-files-found", "retention-days"))
    patterns = [p.strip() for p in str(w["path"]).splitlines() if p.strip()]
    files = expand_paths(ws, patterns)
    # v4 stores paths relative to the files' least common ancestor
    root = os.path.commonpath([os.path.dirname(f) for f in files])
    dest = os.path.join(state_run, w.get("name", "artifact"))
    if os.path.exists(dest):
        raise StepFailed(f"upload-artifact: {w.get('name')} exists in this run")
    for f in files:
        rel = os.path.relpath(f, root)
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(f, os.path.join(dest, rel))
    say(f"uploaded artifact {w.get('name')}: {sorted(os.path.relpath(f, root) for f in files)}")


def gh_download(state, run_id, ws, w):
    check_keys("download-artifact with", w, ("name", "path", "run-id", "github-token", "repository"))
    src_run = str(w.get("run-id") or run_id)
    if "name" not in w:
        raise Unsupported("download-artifact: name it")
    src = os.path.join(state, "github", src_run, w["name"])
    if not os.path.isdir(src):
        raise StepFailed(f"download-artifact: no artifact {w['name']} in run {src_run}")
    dest = os.path.join(ws, w.get("path", "."))
    os.makedirs(dest, exist_ok=True)
    copy_tree(src, dest)
    say(f"downloaded artifact {w['name']} of run {src_run} into {w.get('path', '.')}")


def gh_checkout(repo, ws, w):
    check_keys("checkout with", w, ("fetch-depth",))
    copy_tree(repo, ws)


ACTIONS = {
    "actions/checkout": "checkout",
    "actions/upload-artifact": "upload",
    "actions/download-artifact": "download",
}


def read_kv_file(path):
    """KEY=VALUE and KEY<<DELIM...DELIM lines ($GITHUB_ENV, $GITHUB_OUTPUT)."""
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            val = []
            while i < len(lines) and lines[i] != delim:
                val.append(lines[i])
                i += 1
            i += 1
            out[key] = "\n".join(val)
        elif "=" in line:
            key, val = line.split("=", 1)
            out[key] = val
        else:
            raise StepFailed(f"{path}: not KEY=VALUE: {line}")
    return out


def run_github(a):
    wf = yaml.safe_load(open(a.file))
    check_keys("workflow", wf, GH_WORKFLOW_KEYS)
    jobs = wf["jobs"]
    secrets = json.loads(a.secrets or "{}")
    inputs = json.loads(a.inputs or "{}")
    state_run = os.path.join(a.state, "github", str(a.run_id))
    os.makedirs(state_run, exist_ok=True)
    ctx = {
        "secrets": secrets, "inputs": inputs, "needs": {}, "steps": {},
        "github": {"event_name": a.event, "run_id": str(a.run_id), "run_number": str(a.run_id),
                   "token": "local-token", "ref_name": a.ref_name, "sha": a.sha,
                   "repository": "OWNER/firmware"},
    }
    triggers = wf.get("on", wf.get(True))
    if a.event not in (triggers if isinstance(triggers, dict) else as_list(triggers)):
        raise Unsupported(f"the workflow has no trigger {a.event}")
    if a.event == "workflow_dispatch":
        declared = (triggers["workflow_dispatch"] or {}).get("inputs", {})
        for k, spec in declared.items():
            if spec.get("required") and k not in inputs:
                raise Unsupported(f"input {k} is required")
        for k in inputs:
            if k not in declared:
                raise Unsupported(f"input {k} is not declared")
    shell_default = ((wf.get("defaults") or {}).get("run") or {}).get("shell")
    done, ran = {}, []
    for name in gh_order(jobs):
        job = jobs[name]
        check_keys(f"job {name}", job, GH_JOB_KEYS)
        deps = as_list(job.get("needs"))
        if not all(done.get(d) for d in deps) or not gh_if(ctx, job.get("if")):
            say(f"=== job {name}: skipped")
            done[name] = False
            continue
        say(f"=== job {name}")
        image = job.get("container")
        image = image.get("image") if isinstance(image, dict) else image
        ws, home, tmp = fresh_dirs(a.scratch, f"gh-{a.run_id}-{name}")
        envf, outf, pathf, sumf = (os.path.join(tmp, n) for n in ("env", "output", "path", "summary"))
        env0 = base_env(home, tmp, a.bin, image)
        env0.update({"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws, "RUNNER_TEMP": tmp,
                     "GITHUB_RUN_ID": str(a.run_id), "GITHUB_RUN_NUMBER": str(a.run_id),
                     "GITHUB_EVENT_NAME": a.event, "GITHUB_REF_NAME": a.ref_name, "GITHUB_SHA": a.sha,
                     "GITHUB_ENV": envf, "GITHUB_OUTPUT": outf, "GITHUB_PATH": pathf,
                     "GITHUB_STEP_SUMMARY": sumf, "GITHUB_REPOSITORY": "OWNER/firmware"})
        ctx["runner"] = {"temp": tmp}
        ctx["env"] = {}
        for src in (wf.get("env") or {}, job.get("env") or {}):
            for k, v in src.items():
                env0[k] = ctx["env"][k] = gh_subst(ctx, v)
        shell = ((job.get("defaults") or {}).get("run") or {}).get("shell", shell_default)
        ctx["steps"] = {}
        for i, step in enumerate(job.get("steps") or [], 1):
            check_keys(f"job {name} step {i}", step, GH_STEP_KEYS)
            label = f"{name} / {step.get('name') or step.get('uses') or f'step {i}'}"
            env = dict(env0)
            env.update(read_kv_file(envf))
            extra_path = [p for p in open(pathf).read().splitlines() if p] if os.path.exists(pathf) else []
            if extra_path:
                env["PATH"] = ":".join(reversed(extra_path)) + ":" + env["PATH"]
            for k, v in (step.get("env") or {}).items():
                env[k] = gh_subst(ctx, v)
            open(outf, "w").close()
            if "uses" in step:
                action = str(step["uses"]).split("@")[0]
                kind = ACTIONS.get(action)
                if kind is None:
                    raise Unsupported(f"{label}: uses: {step['uses']} has no local equivalent "
                                      "(tests/ci/ci_run.py ACTIONS)")
                w = {k: gh_subst(ctx, v) for k, v in (step.get("with") or {}).items()}
                say(f"--- {label}")
                if kind == "checkout":
                    gh_checkout(a.repo, ws, w)
                elif kind == "upload":
                    gh_upload(state_run, ws, w)
                else:
                    gh_download(a.state, a.run_id, ws, w)
            elif "run" in step:
                if not isinstance(step["run"], str):
                    raise Unsupported(f"{label}: run: is not a string")
                sh = step.get("shell", shell)
                if sh == "bash":
                    flags = ["-euo", "pipefail"]
                elif sh is None:
                    flags = ["-eu"]
                else:
                    raise Unsupported(f"{label}: shell {sh}: only bash")
                cwd = os.path.join(ws, step.get("working-directory", "."))
                run_bash(gh_subst(ctx, step["run"]), env, cwd, label, flags)
            else:
                raise Unsupported(f"{label}: neither run: nor uses:")
            if "id" in step:
                ctx["steps"][step["id"]] = {"outputs": read_kv_file(outf)}
        outs = {k: gh_subst(ctx, v) for k, v in (job.get("outputs") or {}).items()}
        ctx["needs"][name] = {"outputs": outs, "result": "success"}
        done[name] = True
        ran.append(name)
    say(f"run {a.run_id} ({a.event}): jobs run: {' '.join(ran) or 'none'}")


# ---- GitLab CI

GL_TOP_KEYS = ("stages", "variables", "default", "workflow")
GL_JOB_KEYS = ("stage", "image", "variables", "before_script", "script", "artifacts", "needs",
               "rules", "when", "environment", "dependencies", "retry", "resource_group",
               "interruptible", "allow_failure", "tags")
GL_DEFAULT_KEYS = ("image", "before_script", "retry", "interruptible", "tags")
GL_RULE_KEYS = ("if", "when")


def gl_expand(text, env):
    def var(m):
        name = m.group(1) or m.group(2)
        if name not in env:
            raise Unsupported(f"variable ${name} is not defined")
        return env[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", var, str(text))


def gl_rule_ok(rules, env):
    """rules: - if: $VAR (set and not empty), $A == $B or $A == "text"
    [when: ...]; the first match decides."""
    if rules is None:
        return "on_success"
    for r in rules:
        check_keys("rules entry", r, GL_RULE_KEYS)
        cond = r.get("if")
        if cond is not None:
            c = str(cond).strip()
            one = re.fullmatch(r"\$(\w+)", c)
            two = re.fullmatch(r"""\$(\w+)\s*==\s*(?:\$(\w+)|"([^"]*)")""", c)
            if one:
                hit = bool(env.get(one.group(1)))
            elif two:
                other = env.get(two.group(2)) if two.group(2) else two.group(3)
                hit = env.get(two.group(1)) is not None and env.get(two.group(1)) == other
            else:
                raise Unsupported(f"rules: if: {cond}: only $VAR, $A == $B and $A == \"text\"")
            if not hit:
                continue
        return r.get("when", "on_success")
    return "never"


def run_gitlab(a):
    pl = yaml.safe_load(open(a.file))
    jobs = {k: v for k, v in pl.items() if k not in GL_TOP_KEYS and not str(k).startswith(".")}
    check_keys("pipeline", {k: 1 for k in pl if k not in jobs and not str(k).startswith(".")},
               GL_TOP_KEYS)
    if "workflow" in pl:
        raise Unsupported("workflow: not supported by the local runner")
    default = pl.get("default") or {}
    check_keys("default", default, GL_DEFAULT_KEYS)
    stages = pl.get("stages") or ["build", "test", "deploy"]
    pvars = {"CI": "true", "GITLAB_CI": "true", "CI_PIPELINE_ID": str(a.pipeline_id),
             "CI_PIPELINE_IID": str(a.pipeline_id), "CI_COMMIT_SHA": a.sha,
             "CI_COMMIT_SHORT_SHA": a.sha[:8], "CI_COMMIT_REF_NAME": a.tag or a.branch, "CI_PROJECT_PATH": "OWNER/firmware",
             "CI_COMMIT_TIMESTAMP": a.commit_timestamp}
    pvars["CI_DEFAULT_BRANCH"] = "main"
    if a.tag:
        pvars["CI_COMMIT_TAG"] = a.tag
    else:
        pvars["CI_COMMIT_BRANCH"] = a.branch
    pvars.update(json.loads(a.variables or "{}"))
    top_vars = pl.get("variables") or {}
    state_pl = os.path.join(a.state, "gitlab", str(a.pipeline_id))
    os.makedirs(state_pl, exist_ok=True)
    order = []
    for st in stages:
        order += [n for n, j in jobs.items() if j.get("stage", "test") == st]
    for n, j in jobs.items():
        check_keys(f"job {n}", j, GL_JOB_KEYS)
        if j.get("stage", "test") not in stages:
            raise Unsupported(f"job {n}: stage {j.get('stage')} is not in stages:")
        if "script" not in j:
            raise Unsupported(f"job {n}: no script:")
        for d in as_list(j.get("needs")) + as_list(j.get("dependencies")):
            d = d if isinstance(d, str) else d.get("job")
            if d not in order or n not in order or order.index(d) >= order.index(n):
                raise Unsupported(f"job {n}: needs {d}, which is not a job before it")
    ran = []
    status = {}  # job -> "ran" | "manual" | "skipped", from earlier runs too
    status_file = os.path.join(state_pl, ".status.json")
    if os.path.exists(status_file):
        status = json.load(open(status_file))
    for name in order:
        job = jobs[name]
        when = gl_rule_ok(job.get("rules"), pvars)
        if when == "on_success" and job.get("when"):
            when = job["when"]
        if when not in ("on_success", "manual", "never"):
            raise Unsupported(f"job {name}: when: {when}")
        needs = [n if isinstance(n, str) else n["job"] for n in as_list(job.get("needs"))]
        earlier = [n for n in order[:order.index(name)]
                   if stages.index(jobs[n].get("stage", "test")) < stages.index(job.get("stage", "test"))]
        deps = needs if "needs" in job else as_list(job.get("dependencies", earlier))
        if a.manual:
            # the manual job, then what needs a job run now and has not run
            if name == a.manual:
                if when != "manual" or status.get(name) != "manual":
                    raise Unsupported(f"job {name} is not a manual job waiting to be run")
            elif status.get(name) == "ran" or not set(needs) & set(ran):
                continue
        elif name in status:
            continue
        if when == "never" or any(status.get(d) != "ran" for d in (needs if "needs" in job else [])):
            say(f"=== job {name}: skipped")
            status[name] = "skipped"
            continue
        if when == "manual" and name != a.manual:
            say(f"=== job {name}: manual, waiting")
            status[name] = "manual"
            continue
        say(f"=== job {name}")
        work, home, tmp = fresh_dirs(a.scratch, f"gl-{a.pipeline_id}-{name}")
        image = job.get("image", default.get("image"))
        image = image.get("name") if isinstance(image, dict) else image
        env = base_env(home, tmp, a.bin, image)
        env.update(pvars)
        env.update({"CI_PROJECT_DIR": work, "CI_JOB_NAME": name, "CI_JOB_ID": f"{a.pipeline_id}{len(ran)}"})
        for src in (top_vars, job.get("variables") or {}):
            for k, v in src.items():
                if k not in pvars:
                    env[k] = gl_expand(v, env)
        copy_tree(a.repo, work)
        for d in deps:
            src = os.path.join(state_pl, d)
            if status.get(d) == "ran" and os.path.isdir(src):
                copy_tree(src, work)
        lines = as_list(job.get("before_script", default.get("before_script"))) + as_list(job["script"])
        for x in lines:
            if not isinstance(x, str):
                raise Unsupported(f"job {name}: a script line is not a string (YAML read "
                                  f"it as {type(x).__name__}; quote it): {x}")
        script = "\n".join(lines)
        try:
            run_bash(script, env, work, f"{name} / script", ["-euo", "pipefail"])
        except StepFailed:
            status[name] = "failed"
            json.dump(status, open(status_file, "w"))
            raise
        art = job.get("artifacts") or {}
        check_keys(f"job {name} artifacts", art, ("paths", "expire_in", "name", "when"))
        dest = os.path.join(state_pl, name)
        for f in expand_paths(work, as_list(art.get("paths"))):
            rel = os.path.relpath(f, work)
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(f, os.path.join(dest, rel))
        if art.get("paths"):
            say(f"artifacts of {name}: {art['paths']}")
        status[name] = "ran"
        ran.append(name)
        json.dump(status, open(status_file, "w"))
    json.dump(status, open(status_file, "w"))
    say(f"pipeline {a.pipeline_id}: jobs run: {' '.join(ran) or 'none'}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=("github", "gitlab"))
    p.add_argument("file")
    p.add_argument("--state", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--bin")
    p.add_argument("--sha", default="0123456789abcdef0123456789abcdef01234567")
    p.add_argument("--event", default="push")
    p.add_argument("--run-id", default="1")
    p.add_argument("--ref-name", default="main")
    p.add_argument("--secrets")
    p.add_argument("--inputs")
    p.add_argument("--pipeline-id", default="1")
    p.add_argument("--tag")
    p.add_argument("--branch", default="main")
    p.add_argument("--commit-timestamp", default="2026-01-01T00:00:00+00:00")
    p.add_argument("--variables")
    p.add_argument("--manual")
    a = p.parse_args()
    a.scratch = os.path.join(a.state, "jobs")
    os.makedirs(a.scratch, exist_ok=True)
    try:
        run_github(a) if a.kind == "github" else run_gitlab(a)
    except Unsupported as e:
        say(f"{a.file}: {e}")
        return 2
    except StepFailed as e:
        say(f"{a.file}: FAILED: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
