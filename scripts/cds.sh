#!/usr/bin/env bash
# Class-data sharing for cxr's jar (issue 16): a `cxr predict` on one image spends about 1.4 s of
# its time starting the JVM, loading classes from the 200 MB jar and initialising ND4J, and a few
# milliseconds predicting. This records the classes one real prediction loads into a dynamic AppCDS
# archive beside the jar; later runs map it instead of loading and verifying them again:
#
#   scripts/cds.sh [model.zip] [image]          (defaults: models/model.zip, a Kermany JPEG)
#   java -XX:SharedArchiveFile=cli/target/cxr.jsa -jar cli/target/cxr.jar predict ...
#
# The archive belongs to this jar and this JDK: rebuild it after either changes (the JVM refuses a
# mismatched archive with a warning and starts without it). Run it after `./mvnw package`.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=cli/target/cxr.jar
model=${1:-models/model.zip}
image=${2:-${CXR_SHARED_DATA:-../shared/data}/chest_xray_224/train/NORMAL/IM-0115-0001.jpeg}
archive=${jar%.jar}.jsa
for f in "$jar" "$model" "$image"; do
  [[ -f $f ]] || { echo "cds.sh: $f: no such file" >&2; exit 2; }
done
tmp="$archive.tmp-$$"
trap 'rm -f "$tmp"' EXIT
java -XX:ArchiveClassesAtExit="$tmp" -jar "$jar" predict --model "$model" "$image" >/dev/null
mv -f "$tmp" "$archive"
echo "wrote $archive ($(du -h "$archive" | cut -f1)); use: java -XX:SharedArchiveFile=$archive -jar $jar ..."
