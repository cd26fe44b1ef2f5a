using DataflowNet.Io.Checkpoints;

namespace DataflowNet.Kernels.Cpu;

/// <summary>SaveV2 and RestoreV2: a whole checkpoint written or read per run, through the tensor-bundle format.</summary>
internal static class IoKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("SaveV2", null, ctx =>
        {
            var (prefix, names) = Arguments(ctx, ctx.NumInputs - 3);
            using var writer = new BundleWriter(prefix);
            for (int i = 0; i < names.Length; i++) writer.Add(names[i], ctx.Input(3 + i));
            writer.Finish();
        });
        r.Register("RestoreV2", null, ctx =>
        {
            var dtypes = ctx.Attr<DataType[]>("dtypes");
            var (prefix, names) = Arguments(ctx, dtypes.Length);
            var reader = new BundleReader(prefix);
            for (int i = 0; i < names.Length; i++)
            {
                if (!reader.Contains(names[i]))
                    throw new NotFoundException($"Key {names[i]} not found in checkpoint {prefix}\n\tin op {ctx.Self.Describe()}") { Op = ctx.Self };
                var stored = reader.DTypeName(names[i]);
                if (stored != Io.TensorProtos.ToProto(dtypes[i]).ToString())
                    throw ctx.Error($"tensor_name = {names[i]}; expected dtype {dtypes[i].Name()} does not equal original dtype {StoredName(reader, names[i])} in checkpoint {prefix}");
                ctx.SetOutput(i, reader.Read(names[i]));
            }
        });
    }

    private static string StoredName(BundleReader reader, string key)
    {
        try { return reader.DType(key).Name(); }
        catch (UnimplementedException) { return reader.DTypeName(key); }
    }

    private static (string Prefix, string[] Names) Arguments(KernelContext ctx, int count)
    {
        var prefix = ctx.Input(0);
        if (prefix.size != 1) throw ctx.Error($"prefix must hold one checkpoint prefix, got shape {TensorShape.Format(prefix.Dims)}");
        var names = ctx.Input(1).ToArray<string>();
        var slices = ctx.Input(2).ToArray<string>();
        if (names.Length != count || slices.Length != count)
            throw ctx.Error($"{count} tensors, but {names.Length} tensor_names and {slices.Length} shape_and_slices");
        foreach (var s in slices)
            if (s.Length > 0)
                throw new UnimplementedException($"Saving or restoring slices ('{s}') is not supported; DataflowNet checkpoints hold whole tensors.\n\tin op {ctx.Self.Describe()}") { Op = ctx.Self };
        return (prefix.ToArray<string>()[0], names);
    }
}
