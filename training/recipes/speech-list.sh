# Sourced by the recipes: `speech_manifest SHARED_DATA_FOLDER OUT_CSV` writes every EmoDB, RAVDESS-speech and
# SAVEE utterance under SHARED_DATA_FOLDER as `path,group,tags,unannotated` rows with no tags, group = corpus and
# speaker (the speech negatives of the genre model, the voices of the instrument mixtures, the speech of the
# content model).
speech_manifest() {
  local shared="$1" out="$2"
  mkdir -p "$(dirname "$out")"
  {
    echo "path,group,tags,unannotated"
    for f in "$shared"/emodb/*.flac "$shared"/emodb/*.wav; do
      if [ -e "$f" ]; then b=$(basename "$f"); echo "$(realpath "$f"),emodb-${b:0:2},,"; fi
    done
    for f in "$shared"/ravdess-speech/Actor_*/*.flac "$shared"/ravdess-speech/Actor_*/*.wav; do
      if [ -e "$f" ]; then echo "$(realpath "$f"),ravdess-$(basename "$(dirname "$f")"),,"; fi
    done
    for f in "$shared"/savee/*.flac "$shared"/savee/*.wav; do
      if [ -e "$f" ]; then b=$(basename "$f"); echo "$(realpath "$f"),savee-${b%%_*},,"; fi
    done
  } > "$out"
  [ "$(wc -l < "$out")" -gt 1 ] || { echo "no speech found under $shared" >&2; return 1; }
}
