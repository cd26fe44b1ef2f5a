using System.Globalization;
using System.IO.Compression;

namespace DataflowNet;

/// <summary>
/// The UCI 8x8 hand-written digits kept in the repository (<c>datasets/digits.csv.gz</c>): 1797 rows of 64 pixel
/// values 0..16 and the label, comma-separated, no header.
/// </summary>
internal static class Digits
{
    public const int Features = 64, Classes = 10, MaxPixel = 16;
    public const string RelativePath = "datasets/digits.csv.gz";

    /// <summary>
    /// Finds the file by walking up from the current directory and from the program's own folder, so it is found
    /// from the repository root, from a test's bin folder and from an example run anywhere inside the repository.
    /// </summary>
    public static string Find()
    {
        var starts = new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory };
        foreach (var start in starts)
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        throw new FileNotFoundException(
            $"{RelativePath} was not found in {string.Join(" or ", starts)} or any folder above them. " +
            "Run from inside the DataflowNet repository, or pass its location as path:.", RelativePath);
    }

    /// <summary>The pixels (uint8, <see cref="Features"/> per example) and labels of a digits CSV.</summary>
    public static (byte[] Pixels, byte[] Labels) Read(string path)
    {
        var pixels = new List<byte>(1797 * Features);
        var labels = new List<byte>(1797);
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (fields.Length != Features + 1)
                throw new InvalidDataException($"{path} line {lineNumber}: {fields.Length} fields, expected {Features} pixels and a label.");
            for (int i = 0; i <= Features; i++)
            {
                int max = i < Features ? MaxPixel : Classes - 1;
                if (!int.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v > max)
                    throw new InvalidDataException($"{path} line {lineNumber}, field {i + 1}: '{fields[i]}' is not an integer in 0..{max}.");
                (i < Features ? pixels : labels).Add((byte)v);
            }
        }
        return (pixels.ToArray(), labels.ToArray());
    }
}
