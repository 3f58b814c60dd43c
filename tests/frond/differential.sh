#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential test: renders every case of tests/frond/cases.json with FROND
# (through tests/frond/frond_driver.c) and with the real Twig (php-twig, via
# twig_render.php), and reports every difference. Also checks that each
# case's "expected" value is what Twig renders.
#   tests/frond/differential.sh [-v]
# Exits 0 when everything agrees (or when php-twig is absent: skipped).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! command -v php >/dev/null 2>&1 || [ ! -f /usr/share/php/Twig/autoload.php ]; then
    echo "skipped: php-twig not installed (apt-get install php-cli php-twig)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The engine alone: templates.c is the glue to the server's public API.
engine=$(ls "$root"/src/frond/*.c | grep -v '/templates\.c$')
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -D_GNU_SOURCE -O1 -g -I"$root/include" -I"$root/src" $engine \
    "$here/frond_driver.c" -ljansson -lm -o "$tmp/frond_driver"
"$tmp/frond_driver" "$here/cases.json" "$here/templates" >"$tmp/frond.json"
php "$here/twig_render.php" "$here/cases.json" "$here/templates" >"$tmp/twig.json"
php -r '
$cases = json_decode(file_get_contents($argv[1]), true);
$c = json_decode(file_get_contents($argv[2]), true);
$t = json_decode(file_get_contents($argv[3]), true);
$verbose = ($argv[4] ?? "") === "-v";
$agree = 0; $bad = 0; $ext = [];
foreach ($cases as $k) {
    $n = $k["name"]; $cr = $c[$n] ?? ["err" => "missing"]; $tr = $t[$n] ?? ["err" => "missing"];
    $why = null;
    if (isset($k["twig"]) && $k["twig"] === false) {
        $ext[] = "$n (" . ($k["reason"] ?? "FROND extension") . ")";
        continue;
    }
    if (isset($k["error"])) {
        if (!isset($tr["err"])) $why = "Twig renders it but the case expects an error";
        elseif (!isset($cr["err"])) $why = "FROND renders " . json_encode($cr["out"]) . " where Twig fails: " . $tr["err"];
        elseif (strpos($cr["err"], $k["error"]) === false) $why = "FROND error " . json_encode($cr["err"]) . " lacks " . json_encode($k["error"]);
    } else {
        if (isset($tr["err"])) $why = "Twig fails: " . $tr["err"];
        elseif (isset($cr["err"])) $why = "FROND fails: " . $cr["err"];
        elseif ($cr["out"] !== $tr["out"]) $why = "output differs\n    frond: " . json_encode($cr["out"]) . "\n    twig:  " . json_encode($tr["out"]);
        elseif (($k["expected"] ?? null) !== $tr["out"]) $why = "the table expects " . json_encode($k["expected"] ?? null) . ", Twig renders " . json_encode($tr["out"]);
    }
    if ($why === null) { $agree++; if ($verbose) echo "ok   $n\n"; }
    else { $bad++; echo "DIFF $n: $why\n"; }
}
printf("%d cases: %d agree with Twig, %d differ, %d FROND-only (not in Twig 3): %s\n", count($cases), $agree, $bad, count($ext), implode(", ", $ext));
exit($bad ? 1 : 0);
' "$here/cases.json" "$tmp/frond.json" "$tmp/twig.json" "${1:-}"
