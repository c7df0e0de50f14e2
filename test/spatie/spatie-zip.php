<?php
// Writes a ZIP the way spatie/laravel-backup's Zip class does with PHP's ZipArchive (libzip):
// every folder below <root> as an empty folder entry, every file deflated under its path
// below <root>, and with a password (SPATIE_PASSWORD, never on the command line) each file
// encrypted with setEncryptionName(..., ZipArchive::EM_AES_256, ...), folders left plain.
// Usage: SPATIE_PASSWORD=... php spatie-zip.php <out.zip> <root>
[, $out, $root] = $argv;
$root = rtrim($root, '/');
$password = getenv('SPATIE_PASSWORD') ?: '';
$zip = new ZipArchive();
if ($zip->open($out, ZipArchive::CREATE | ZipArchive::OVERWRITE) !== true) exit(2);
$walk = new RecursiveIteratorIterator(
    new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS),
    RecursiveIteratorIterator::SELF_FIRST,
);
foreach ($walk as $path => $info) {
    $name = ltrim(substr($path, strlen($root)), '/');
    if ($info->isDir()) {
        $zip->addEmptyDir($name);
        continue;
    }
    $zip->addFile($path, $name);
    if ($password !== '') $zip->setEncryptionName($name, ZipArchive::EM_AES_256, $password);
}
exit($zip->close() ? 0 : 3);
