using System.Buffers.Binary;

namespace DataflowNet;

/// <summary>Images in an IDX file: <see cref="Pixels"/> holds <see cref="Count"/> images of rows x cols uint8, row-major.</summary>
internal sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);

/// <summary>
/// The IDX format of the MNIST files (yann.lecun.com/exdb/mnist): a big-endian int32 magic number (2051 for
/// images, 2049 for labels), big-endian int32 sizes, then the uint8 data.
/// </summary>
internal static class Idx
{
    public const int ImagesMagic = 2051, LabelsMagic = 2049;

    public static IdxImages ReadImages(ReadOnlySpan<byte> file, string name)
    {
        CheckHeader(file, ImagesMagic, 16, name);
        int count = ReadSize(file, 4, name), rows = ReadSize(file, 8, name), cols = ReadSize(file, 12, name);
        long expected = 16L + (long)count * rows * cols;
        if (file.Length != expected)
            throw new InvalidDataException($"{name}: {count} images of {rows}x{cols} need {expected} bytes, the file has {file.Length}.");
        return new IdxImages(count, rows, cols, file[16..].ToArray());
    }

    public static byte[] ReadLabels(ReadOnlySpan<byte> file, string name)
    {
        CheckHeader(file, LabelsMagic, 8, name);
        int count = ReadSize(file, 4, name);
        if (file.Length != 8L + count)
            throw new InvalidDataException($"{name}: {count} labels need {8L + count} bytes, the file has {file.Length}.");
        return file[8..].ToArray();
    }

    private static void CheckHeader(ReadOnlySpan<byte> file, int magic, int headerBytes, string name)
    {
        // The magic number first: "this is a labels file" says more than "too short" when the files are swapped.
        if (file.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(file) is var actual && actual != magic)
            throw new InvalidDataException($"{name}: IDX magic number is {actual}, expected {magic} ({(magic == ImagesMagic ? "images" : "labels")}).");
        if (file.Length < headerBytes)
            throw new InvalidDataException($"{name}: {file.Length} bytes is too short for an IDX header ({headerBytes} bytes).");
    }

    private static int ReadSize(ReadOnlySpan<byte> file, int offset, string name)
    {
        int size = BinaryPrimitives.ReadInt32BigEndian(file[offset..]);
        return size >= 0 ? size : throw new InvalidDataException($"{name}: negative size {size} in the IDX header.");
    }
}
