"""Builds the manifests the instrument and content recipes train on, from what the other steps wrote:

    python3 training/recipes/mixes.py piano EMOPIA_MANIFEST MIXTURES_FOLDER OUT_FOLDER [NEGATIVE_MANIFEST...]
    python3 training/recipes/mixes.py content FOURQ_MANIFEST EMOPIA_MANIFEST MIXTURES_FOLDER SPEECH_MANIFEST NOISE_FOLDER OUT_FOLDER
    python3 training/recipes/mixes.py negatives TAGS_FOLDER OUT_FOLDER MANIFEST...
    python3 training/recipes/mixes.py broadband NOISE_FOLDER OUT_FOLDER

`piano`: 250 rendered EMOPIA performances (one render per clip, drawn with a fixed seed) tagged `piano` with
every other tag known absent: solo piano the instrument tagger trains on beside its mixtures; then every row of
the NEGATIVE_MANIFESTs (generated noise) with every tag known absent.
`content`: the content model's set — music (every 4Q clip, 300 further EMOPIA renders, the first 600 training
mixtures, whose speech tag is unannotated where a voice is mixed in), speech (every utterance of the list) and
neither (every noise clip); groups prefixed by source so artists, songs, speakers and clips never collide.
`negatives`: every row of the MANIFESTs (speech, generated noise) with no tag, beside TAGS_FOLDER's `tags.txt` and
`hierarchy.json`: training-only clips that teach a tagger's scores to stay low on what is not music.
`broadband`: the noise clips (`synth --kind noise`) with no tonal layer (no chirps, moans or hum): the instrument
tagger's negatives, which must not teach that a low held tone is no instrument.
Only the standard library: the recipes run on a fresh machine."""

import csv
import json
import os
import random
import shutil
import sys


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def absolute(base, path):
    return path if os.path.isabs(path) else os.path.join(os.path.dirname(os.path.abspath(base)), path)


def emopia_draw(manifest):
    """One render per clip (variant 0), shuffled with a fixed seed: the first 250 are the tagger's piano
    clips, the next 300 the content model's."""
    picked = [r for r in rows(manifest) if r["path"].endswith("_v0.wav")]
    random.seed(5)
    random.shuffle(picked)
    return [(absolute(manifest, r["path"]), "emopia-" + r["group"]) for r in picked]


def untagged(manifests, keep=lambda row: True):
    """Every row of the manifests that `keep` accepts, as a clip with no tag (every tag known absent), paths made
    absolute."""
    return [[absolute(m, r["path"]), r["group"], "", ""] for m in manifests for r in rows(m) if keep(r)]


def write(out, header, body):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(body)


def main(argv):
    header = ["path", "group", "tags", "unannotated"]
    if argv[:1] == ["piano"] and len(argv) >= 4:
        emopia, mixtures, out, negatives = argv[1], argv[2], argv[3], argv[4:]
        body = [[p, g, "piano", ""] for p, g in emopia_draw(emopia)[:250]]
        write(out, header, body + untagged(negatives))
        for name in ("tags.txt", "hierarchy.json"):
            shutil.copy(os.path.join(mixtures, name), os.path.join(out, name))
    elif argv[:1] == ["content"] and len(argv) == 7:
        fourq, emopia, mixtures, speech, noise, out = argv[1:]
        body = [[absolute(fourq, r["path"]), "4q-" + r["group"], "music", ""] for r in rows(fourq)]
        body += [[p, g, "music", ""] for p, g in emopia_draw(emopia)[250:550]]
        mix_manifest = os.path.join(mixtures, "manifest.csv")
        for r in rows(mix_manifest)[:600]:
            voiced = "voice" in r["tags"].split(";")
            body.append([absolute(mix_manifest, r["path"]), "mix-" + r["group"], "music", "speech" if voiced else ""])
        body += [[absolute(speech, r["path"]), "speaker-" + r["group"], "speech", ""] for r in rows(speech)]
        noise_manifest = os.path.join(noise, "manifest.csv")
        body += [[absolute(noise_manifest, r["path"]), "noise-" + r["group"], "", ""] for r in rows(noise_manifest)]
        write(out, header, body)
        with open(os.path.join(out, "tags.txt"), "w") as f:
            f.write("music\nspeech\n")
        with open(os.path.join(out, "hierarchy.json"), "w") as f:
            json.dump([{"members": ["music"], "name": "music"}, {"members": ["speech"], "name": "speech"}], f, indent=2)
    elif argv[:1] == ["broadband"] and len(argv) == 3:
        noise, out = argv[1:]
        tonal = {"chirps", "moans", "hum50", "hum60"}
        manifest = os.path.join(noise, "manifest.csv")
        write(out, header, untagged([manifest], keep=lambda r: not tonal & set(r["layers"].split(";"))))
    elif argv[:1] == ["negatives"] and len(argv) >= 4:
        tags, out, manifests = argv[1], argv[2], argv[3:]
        write(out, header, untagged(manifests))
        for name in ("tags.txt", "hierarchy.json"):
            shutil.copy(os.path.join(tags, name), os.path.join(out, name))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
