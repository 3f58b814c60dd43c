<?php
/*
 * The oracle: renders FROND test cases with the real Twig (Debian's php-twig).
 *   php twig_render.php CASES.json TEMPLATES_DIR          -> {"name": {"out"|"err": ...}}
 *   php twig_render.php --template 'TPL' [--data FILE.json] [--templates DIR]
 * Environment: autoescape html, strict_variables off, timezone UTC.
 */
$autoload = '/usr/share/php/Twig/autoload.php';
if (!is_file($autoload)) {
    fwrite(STDERR, "php-twig not installed\n");
    exit(3);
}
require $autoload;
date_default_timezone_set('UTC');

function render_one(string $dir, ?string $tpl, ?string $file, array $ctx): array
{
    $loaders = [];
    if ($tpl !== null) {
        $loaders[] = new \Twig\Loader\ArrayLoader(['string' => $tpl]);
    }
    $loaders[] = new \Twig\Loader\FilesystemLoader($dir);
    $twig = new \Twig\Environment(new \Twig\Loader\ChainLoader($loaders), [
        'cache' => false, 'autoescape' => 'html', 'strict_variables' => false,
    ]);
    $twig->getExtension(\Twig\Extension\CoreExtension::class)->setTimezone('UTC');
    try {
        $out = $twig->render($tpl !== null ? 'string' : $file, $ctx);
        return ['out' => $out];
    } catch (\Throwable $e) {
        return ['err' => $e->getMessage()];
    }
}

set_error_handler(function () { return true; }); /* "Array to string conversion" notices */

if (($argv[1] ?? '') === '--template') {
    $tpl = $argv[2] ?? '';
    $data = [];
    $dir = getcwd();
    for ($i = 3; $i + 1 < count($argv); $i += 2) {
        if ($argv[$i] === '--data') {
            $data = json_decode(file_get_contents($argv[$i + 1]), true) ?? [];
        } elseif ($argv[$i] === '--templates') {
            $dir = $argv[$i + 1];
        }
    }
    $r = render_one($dir, $tpl, null, $data);
    if (isset($r['err'])) {
        fwrite(STDERR, $r['err'] . "\n");
        exit(1);
    }
    echo $r['out'];
    exit(0);
}

if ($argc < 3) {
    fwrite(STDERR, "usage: php twig_render.php CASES.json TEMPLATES_DIR\n");
    exit(2);
}
$cases = json_decode(file_get_contents($argv[1]), true);
$results = [];
foreach ($cases as $c) {
    $ctx = $c['context'] ?? [];
    $results[$c['name']] = render_one($argv[2], $c['template'] ?? null, $c['file'] ?? null, is_array($ctx) ? $ctx : []);
}
echo json_encode($results, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
