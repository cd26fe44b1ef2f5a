using System.Numerics;
using DataflowNet.Kernels.Cpu;
using Operand = DataflowNet.FusedLoop.Operand; // an instruction's operand: a leaf input or an earlier result

namespace DataflowNet;

/// <summary>
/// Plan-time fusion of elementwise chains. An elementwise op whose only consumer is another elementwise op (or an
/// Assign) is folded into it; the group then runs as one step that walks the output in cache-sized chunks and
/// applies every op to a chunk before moving on, so intermediates stay in L1 and memory is read and written once.
/// Run into an Assign, the chain writes straight into the variable's buffer: relu(x*w+b) → y is one pass.
/// </summary>
internal static class Fusion
{
    private static readonly HashSet<string> Unary = ["Neg", "Abs", "Square", "Relu", "Sqrt", "Exp", "Log", "Tanh", "Sigmoid", "Reciprocal"];
    // BiasAdd on NHWC is AddV2 of a row repeated along the last axis: conv + bias + relu becomes one pass.
    private static readonly HashSet<string> Binary = ["AddV2", "BiasAdd", "Sub", "Mul", "RealDiv", "Maximum", "Minimum"];

    internal sealed record Group(Operation Root, List<Operation> Ops, List<Tensor> Leaves)
    {
        /// <summary>For a group placed on a GPU: its fused kernel, compiled when the plan is built (GpuFusedKernels).</summary>
        public Kernel? GpuKernel { get; set; }

        /// <summary>The variable the group writes into (an Assign's or a fused update's), or null.</summary>
        public Operation? WritesVariable => Root.type is "Assign" or "ApplyGradientDescent" ? Root.inputs[0].op : null;
    }

    private static bool Fusable(Operation op) =>
        (Unary.Contains(op.type) || Binary.Contains(op.type)) && op.outputs[0].dtype.IsFloating()
        && (op.type != "BiasAdd" || BiasRow(op));

    /// <summary>
    /// A BiasAdd the fused loop can run as a row added to every row: NHWC, and a bias statically [C] matching the
    /// value's statically known last axis (the fused loop broadcasts by shape, so BiasAdd's own stricter check,
    /// one bias per channel, must already hold).
    /// </summary>
    private static bool BiasRow(Operation op)
    {
        var value = op.inputs[0].shape;
        var bias = op.inputs[1].shape;
        return op.get_attr<string>("data_format") != "NCHW" && bias.Rank == 1 && bias[0] >= 0 && value.Rank >= 2 && value[-1] == bias[0];
    }

    /// <summary>The fused groups of a schedule, by root, and the ops folded into them.</summary>
    public static (Dictionary<Operation, Group> Groups, HashSet<Operation> Absorbed) Find(
        List<Operation> order, IReadOnlyList<IFetchable> fetches, HashSet<Tensor> fed, IReadOnlyDictionary<Operation, Device>? placement = null)
    {
        // CPU chains run in FusedKernel or FusedLoop; GPU chains (float32, ops the GPU can fuse, all on one GPU) in one
        // GpuFusedKernels kernel.
        bool OnCpu(Operation op) => placement is null || placement[op] is CpuDevice;
        Kernels.Gpu.GpuDevice? OnGpu(Operation op) => placement?[op] as Kernels.Gpu.GpuDevice;
        var inPlan = new HashSet<Operation>(order);
        var consumers = new Dictionary<Tensor, List<Operation>>();
        var controlled = new HashSet<Operation>();
        foreach (var op in order)
        {
            foreach (var c in op.control_inputs) controlled.Add(c);
            foreach (var input in op.inputs)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = new();
                if (!list.Contains(op)) list.Add(op);
            }
        }
        var fetched = new HashSet<Tensor>(fetches.OfType<Tensor>());

        // owner[op] = the op whose group it joins (its single consumer), resolved to the group root below.
        var parent = new Dictionary<Operation, Operation>();
        foreach (var op in order)
        {
            var gpu = OnGpu(op);
            if (!Fusable(op) || controlled.Contains(op) || !OnCpu(op) && (gpu is null || !Kernels.Gpu.GpuFusedKernels.Fusable(op))) continue;
            // An op reading a variable's ref output itself (not its `read` Identity) must read it when it runs: inside
            // a group it would read it when the root runs, after writes staged meanwhile. It may still root a group.
            if (op.inputs.Any(i => i.op.type == "VariableV2")) continue;
            var output = op.outputs[0];
            if (fetched.Contains(output) || fed.Contains(output)) continue;
            if (!consumers.TryGetValue(output, out var users) || users.Count != 1) continue;
            var user = users[0];
            bool joins = gpu is not null
                ? OnGpu(user) == gpu && Fusable(user) && Kernels.Gpu.GpuFusedKernels.Fusable(user)
                : OnCpu(user) && ((Fusable(user) && user.outputs[0].dtype == output.dtype)
                  || (user.type == "Assign" && user.inputs[1].Equals(output) && !user.inputs[0].Equals(output)
                      && user.inputs[0].shape.IsFullyDefined && user.inputs[0].shape.Equals(output.shape)));
            if (joins) parent[op] = user;
        }

        Operation RootOf(Operation op)
        {
            while (parent.TryGetValue(op, out var p)) op = p;
            return op;
        }

        var groups = new Dictionary<Operation, Group>();
        foreach (var op in order)
        {
            if (!parent.ContainsKey(op)) continue;
            var root = RootOf(op);
            if (!groups.TryGetValue(root, out var g)) groups[root] = g = new Group(root, new(), new());
            g.Ops.Add(op);
        }
        var absorbed = new HashSet<Operation>();
        foreach (var g in groups.Values)
        {
            absorbed.UnionWith(g.Ops);
            if (g.Root.type != "Assign") g.Ops.Add(g.Root); // schedule order: the root comes last
            var produced = new HashSet<Tensor>(g.Ops.Select(o => o.outputs[0]));
            foreach (var op in g.Ops)
                foreach (var input in op.inputs)
                    if (!produced.Contains(input) && !g.Leaves.Contains(input)) g.Leaves.Add(input);
            if (g.Root.type == "Assign")
            {
                // The variable is not a leaf: the chain writes into its staged buffer.
                g.Leaves.Remove(g.Root.inputs[0]);
            }
        }
        // A GPU group whose leaves could need broadcasting at run time, that is too long, or that ILGPU cannot compile
        // runs op by op.
        foreach (var (root, g) in groups.ToList())
        {
            if (OnGpu(root) is not { } gpu) continue;
            g.GpuKernel = Kernels.Gpu.GpuFusedKernels.TryCompile(g, gpu);
            if (g.GpuKernel is not null) continue;
            groups.Remove(root);
            absorbed.ExceptWith(g.Ops);
        }
        // A weight gradient's product folded into its gradient-descent update (see FusedGradientDescent).
        foreach (var op in order)
            if (FusedGradientDescent.Absorbable(op, consumers, fetched, fed, controlled, OnCpu) is { } product)
            {
                groups[op] = new Group(op, [product], FusedGradientDescent.Leaves(op, product));
                absorbed.Add(product);
            }
        return (groups, absorbed);
    }

    /// <summary>The kernel that runs a fused group; its inputs are the group's leaves.</summary>
    public static Kernel Compile(Group g, Device device)
    {
        if (device is Kernels.Gpu.GpuDevice) return g.GpuKernel!;
        if (g.Root.type == "ApplyGradientDescent") return FusedGradientDescent.Compile(g);
        var dtype = g.Ops[^1].outputs[0].dtype;
        var build = new CompileAction(g);
        TypeSwitch.Float(dtype, ref build);
        return build.Result!;
    }

    private struct CompileAction(Group g) : IFloatAction
    {
        public Kernel? Result;
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T> => Result = new FusedKernel<T>(g).Run;
    }

    // An operand of an instruction: a leaf input or the result of an earlier instruction (the same for both paths).

    private sealed class Instruction<T>(string type, Operand a, Operand? b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly string Type = type;
        public readonly Operand A = a;
        public readonly Operand? B = b;

        public void Unary(ReadOnlySpan<T> x, Span<T> d)
        {
            switch (Type)
            {
                case "Neg": Ops.Neg.Apply(x, d); break;
                case "Abs": Ops.Abs.Apply(x, d); break;
                case "Square": Ops.Square.Apply(x, d); break;
                case "Relu": Ops.Relu.Apply(x, d); break;
                case "Sqrt": Ops.Sqrt.Apply(x, d); break;
                case "Exp": Ops.Exp.Apply(x, d); break;
                case "Log": Ops.Log.Apply(x, d); break;
                case "Tanh": Ops.Tanh.Apply(x, d); break;
                case "Sigmoid": Ops.Sigmoid.Apply(x, d); break;
                default: Ops.Reciprocal.Apply(x, d); break;
            }
        }

        public void VV(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
        {
            switch (Type)
            {
                case "AddV2" or "BiasAdd": Ops.Add.VV(x, y, d); break;
                case "Sub": Ops.Sub.VV(x, y, d); break;
                case "Mul": Ops.Mul.VV(x, y, d); break;
                case "RealDiv": Ops.RealDiv.VV(x, y, d); break;
                case "Maximum": Ops.Maximum.VV(x, y, d); break;
                default: Ops.Minimum.VV(x, y, d); break;
            }
        }

        public void VS(ReadOnlySpan<T> x, T y, Span<T> d)
        {
            switch (Type)
            {
                case "AddV2" or "BiasAdd": Ops.Add.VS(x, y, d); break;
                case "Sub": Ops.Sub.VS(x, y, d); break;
                case "Mul": Ops.Mul.VS(x, y, d); break;
                case "RealDiv": Ops.RealDiv.VS(x, y, d); break;
                case "Maximum": Ops.Maximum.VS(x, y, d); break;
                default: Ops.Minimum.VS(x, y, d); break;
            }
        }

        public void SV(T x, ReadOnlySpan<T> y, Span<T> d)
        {
            switch (Type)
            {
                case "AddV2" or "BiasAdd": Ops.Add.SV(x, y, d); break;
                case "Sub": Ops.Sub.SV(x, y, d); break;
                case "Mul": Ops.Mul.SV(x, y, d); break;
                case "RealDiv": Ops.RealDiv.SV(x, y, d); break;
                case "Maximum": Ops.Maximum.SV(x, y, d); break;
                default: Ops.Minimum.SV(x, y, d); break;
            }
        }
    }

    /// <summary>Chunk buffers for the instructions' results, one set per thread (a chunk is processed by one thread start to end).</summary>
    private static class ChunkScratch<T>
    {
        [ThreadStatic] private static T[][]? _buffers;

        public static T[][] Get(int count, int length)
        {
            var b = _buffers;
            if (b is null || b.Length < count) _buffers = b = new T[Math.Max(count, 8)][];
            for (int i = 0; i < count; i++) if (b[i] is null || b[i].Length < length) b[i] = new T[length];
            return b;
        }
    }

    private sealed class FusedKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private const int ChunkElements = 2048;
        /// <summary>Below this many elements one core does it all: waking the other costs more than it saves.</summary>
        private const int ParallelElements = 1 << 16;
        private const long StreamingBytes = 8L << 20;
        private readonly Instruction<T>[] _program;
        private readonly bool _intoVariable;
        /// <summary>The program for <see cref="FusedLoop"/> when all its ops have register forms, else null.</summary>
        private readonly FusedLoop.Instruction[]? _registerProgram;
        /// <summary>Compiled loops by leaf layout (2 bits per leaf), built on first use.</summary>
        private readonly Dictionary<int, FusedLoop.ILoop<T>> _loops = new();

        public FusedKernel(Group g)
        {
            _intoVariable = g.Root.type == "Assign";
            var index = new Dictionary<Tensor, int>();
            var program = new List<Instruction<T>>();
            Operand Ref(Tensor t) => index.TryGetValue(t, out var i) ? new Operand(false, i) : new Operand(true, g.Leaves.IndexOf(t));
            foreach (var op in g.Ops)
            {
                program.Add(new Instruction<T>(op.type, Ref(op.inputs[0]), op.inputs.Length > 1 ? Ref(op.inputs[1]) : null));
                index[op.outputs[0]] = program.Count - 1;
            }
            _program = program.ToArray();
            var registerProgram = _program.Select(i => new FusedLoop.Instruction(i.Type, i.A, i.B)).ToArray();
            if (FusedLoop.Supports(registerProgram) && g.Leaves.Count <= 15) _registerProgram = registerProgram;
        }

        /// <summary>The compiled loop for this run's leaf layout (scalar, row or full, by size), cached per layout.</summary>
        private FusedLoop.ILoop<T> LoopFor(KernelContext ctx, int n, int rowLength)
        {
            int key = 0;
            Span<FusedLoop.LeafKind> kinds = stackalloc FusedLoop.LeafKind[ctx.NumInputs];
            for (int i = 0; i < kinds.Length; i++)
            {
                int size = ctx.Input(i).size;
                kinds[i] = size == n ? FusedLoop.LeafKind.Full : size == 1 ? FusedLoop.LeafKind.Scalar : FusedLoop.LeafKind.Row;
                key |= (int)kinds[i] << (2 * i);
            }
            lock (_loops)
            {
                if (!_loops.TryGetValue(key, out var loop)) _loops[key] = loop = FusedLoop.Build<T>(_registerProgram!, kinds);
                return loop;
            }
        }

        public void Run(KernelContext ctx)
        {
            // The output's shape is that of the largest leaf (of the highest rank among equals); the fast path needs
            // every leaf to be that shape or a scalar.
            int n = 0;
            int[]? outDims = null;
            for (int i = 0; i < ctx.NumInputs; i++)
            {
                var leaf = ctx.Input(i);
                if (leaf.size > n || leaf.size == n && outDims is not null && leaf.ndim > outDims.Length) { n = leaf.size; outDims = leaf.Dims; }
            }
            // Every other leaf must be a one-value leaf of no higher rank (a [1, 1] would broadcast the output to rank
            // 2), or the output's trailing dims (a bias row), all of one size; anything else broadcasts op by op.
            bool simple = outDims is not null;
            int rowLength = 0;
            for (int i = 0; i < ctx.NumInputs && simple; i++)
            {
                var leaf = ctx.Input(i);
                if (leaf.size == 1 && leaf.ndim <= outDims!.Length || leaf.Dims.AsSpan().SequenceEqual(outDims)) continue;
                simple = leaf.ndim < outDims!.Length && leaf.Dims.AsSpan().SequenceEqual(outDims.AsSpan(outDims.Length - leaf.ndim))
                         && (rowLength == 0 || rowLength == leaf.size);
                rowLength = leaf.size;
            }
            if (!simple) { RunUnfused(ctx); return; }

            if (_intoVariable) VariableWrites.CheckAssign(ctx, ctx.SelfCell!, outDims);
            var output = _intoVariable
                ? ctx.Run.StageWrite(ctx.SelfCell!, ctx.OutputType(0), outDims)
                : ctx.AllocateUninitializedOutput(0, outDims);
            if (_intoVariable) ctx.SetOutput(0, output);
            var job = ctx.Scratch as Job ?? (Job)(ctx.Scratch = new Job(this));
            // A row shorter than a couple of vectors would leave the register loop mostly in its scalar tail.
            if (_registerProgram is not null && (rowLength == 0 || rowLength >= 16))
            {
                job.RunLoop(ctx, LoopFor(ctx, n, rowLength), output.Buffer<T>(), n, rowLength);
                return;
            }
            // Chunks are whole rows when a leaf repeats per row, so each chunk sees the row tiled from its start.
            int chunk = rowLength == 0 ? ChunkElements : rowLength >= ChunkElements ? rowLength : rowLength * (ChunkElements / rowLength);
            job.Start(ctx, output.Buffer<T>(), n, chunk, rowLength);
            int chunks = (n + chunk - 1) / chunk;
            if (n >= ParallelElements) CpuParallel.For(chunks, job);
            else job.Run(0, chunks);
            job.Finish();
        }

        /// <summary>One run's work, reused run after run: chunks [start, end) of the output.</summary>
        private sealed class Job(FusedKernel<T> kernel) : IRangeWork
        {
            private KernelContext? _ctx;
            private T[]? _output;
            private int _n;

            private bool _stream;

            private int _chunk, _rowLength;

            public void Start(KernelContext ctx, T[] output, int n, int chunk, int rowLength)
            {
                (_ctx, _output, _n, _chunk, _rowLength) = (ctx, output, n, chunk, rowLength);
                // An output far larger than the caches is written with streaming stores (see StreamingStore).
                _stream = (long)n * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() >= StreamingBytes;
            }
            public void Finish() => (_ctx, _output) = (null, null);

            // The register loop's run: its leaves in tree order and the part count (whole rows, or vector multiples, per part).
            private FusedLoop.ILoop<T>? _loop;
            private T[][] _leaves = [];
            private int _parts;

            public void RunLoop(KernelContext ctx, FusedLoop.ILoop<T> loop, T[] output, int n, int rowLength)
            {
                var order = loop.LeafOrder;
                if (_leaves.Length != order.Length) _leaves = new T[order.Length][];
                for (int k = 0; k < order.Length; k++) _leaves[k] = ctx.Input(order[k]).Buffer<T>();
                (_loop, _output, _n, _rowLength) = (loop, output, n, rowLength);
                _stream = rowLength == 0 && (long)n * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() >= StreamingBytes;
                _parts = n >= ParallelElements ? CpuParallel.Degree : 1;
                try
                {
                    if (_parts > 1) CpuParallel.For(_parts, this);
                    else RunParts(0, 1);
                }
                finally
                {
                    (_loop, _output) = (null, null);
                    Array.Clear(_leaves);
                }
            }

            private unsafe void RunParts(int start, int end)
            {
                int unit = _rowLength > 0 ? _rowLength : 64, units = (_n + unit - 1) / unit;
                fixed (T* output = _output)
                    for (int p = start; p < end; p++)
                    {
                        int from = (int)Math.Min((long)units * p / _parts * unit, _n), to = (int)Math.Min((long)units * (p + 1) / _parts * unit, _n);
                        _loop!.Run(_leaves, output, from, to, _rowLength, _stream);
                    }
            }

            public void Run(int startChunk, int endChunk)
            {
                if (_loop is not null) { RunParts(startChunk, endChunk); return; }
                var ctx = _ctx!;
                var program = kernel._program;
                // Scratch: one buffer per instruction, then one per leaf holding its row tiled to a chunk.
                var scratch = ChunkScratch<T>.Get(program.Length + ctx.NumInputs, _chunk);
                var tiled = scratch.AsSpan(program.Length, ctx.NumInputs);
                if (_rowLength > 0)
                    for (int i = 0; i < ctx.NumInputs; i++)
                    {
                        var leaf = ctx.Input(i);
                        if (leaf.size != _rowLength || leaf.size == _n) continue;
                        for (int at = 0; at < _chunk; at += _rowLength) leaf.Buffer<T>().AsSpan().CopyTo(tiled[i].AsSpan(at));
                    }
                for (int c = startChunk; c < endChunk; c++)
                {
                    int start = c * _chunk;
                    int len = Math.Min(_chunk, _n - start);
                    for (int p = 0; p < program.Length; p++)
                    {
                        var ins = program[p];
                        bool last = p == program.Length - 1;
                        var dst = last && !_stream ? _output.AsSpan(start, len) : scratch[p].AsSpan(0, len);
                        bool aScalar = IsScalar(ctx, ins.A, _n);
                        if (ins.B is not { } b)
                        {
                            ins.Unary(aScalar ? Broadcast(ctx, ins.A, scratch, p, len) : Span(ctx, ins.A, scratch, tiled, start, len, _n), dst);
                            continue;
                        }
                        bool bScalar = IsScalar(ctx, b, _n);
                        if (!aScalar && !bScalar) ins.VV(Span(ctx, ins.A, scratch, tiled, start, len, _n), Span(ctx, b, scratch, tiled, start, len, _n), dst);
                        else if (!aScalar) ins.VS(Span(ctx, ins.A, scratch, tiled, start, len, _n), ScalarOf(ctx, b), dst);
                        else if (!bScalar) ins.SV(ScalarOf(ctx, ins.A), Span(ctx, b, scratch, tiled, start, len, _n), dst);
                        else ins.VS(Broadcast(ctx, ins.A, scratch, p, len), ScalarOf(ctx, b), dst);
                    }
                    if (_stream) StreamingStore.Copy(scratch[program.Length - 1].AsSpan(0, len), _output.AsSpan(start, len));
                }
                if (_stream) StreamingStore.Fence();
            }
        }

        // A leaf is scalar when it has one element; instruction results are never scalar on the fast path
        // (an instruction over two scalars broadcasts one of them to a chunk first).
        private static bool IsScalar(KernelContext ctx, Operand o, int n) => o.IsLeaf && ctx.Input(o.Index).size == 1 && n != 1;
        private static T ScalarOf(KernelContext ctx, Operand o) => ctx.Input(o.Index).Buffer<T>()[0];

        /// <summary>The operand over [start, start + len): a full leaf's own elements, a row leaf's tiled copy, or an earlier result.</summary>
        private static ReadOnlySpan<T> Span(KernelContext ctx, Operand o, T[][] scratch, Span<T[]> tiled, int start, int len, int n)
        {
            if (!o.IsLeaf) return scratch[o.Index].AsSpan(0, len);
            var leaf = ctx.Input(o.Index).Buffer<T>();
            return leaf.Length == n ? leaf.AsSpan(start, len) : tiled[o.Index].AsSpan(0, len);
        }

        private static ReadOnlySpan<T> Broadcast(KernelContext ctx, Operand o, T[][] scratch, int p, int len)
        {
            var buffer = scratch[p].AsSpan(0, len);
            buffer.Fill(ScalarOf(ctx, o));
            return buffer;
        }

        /// <summary>General broadcasting: each instruction over whole tensors, as the separate ops would run.</summary>
        private void RunUnfused(KernelContext ctx)
        {
            var results = new TensorValue[_program.Length];
            TensorValue Value(Operand o) => o.IsLeaf ? ctx.Input(o.Index) : results[o.Index];
            for (int p = 0; p < _program.Length; p++)
            {
                var ins = _program[p];
                var a = Value(ins.A);
                if (ins.B is not { } bo)
                {
                    var r = TensorValue.Allocate(a.dtype, a.Dims);
                    ins.Unary(a.Buffer<T>(), r.Buffer<T>());
                    results[p] = r;
                    continue;
                }
                var b = Value(bo);
                var dims = Broadcasting.Shape(a.Dims, b.Dims, ctx.Errors);
                var result = TensorValue.Allocate(a.dtype, dims);
                var run = new InstructionRun(ins);
                Broadcasting.Run(a.Buffer<T>(), a.Dims, b.Buffer<T>(), b.Dims, result.Buffer<T>(), dims, ref run);
                results[p] = result;
            }
            var last = results[^1];
            if (!_intoVariable) { ctx.SetOutput(0, last); return; }
            var cell = ctx.SelfCell!;
            VariableWrites.CheckAssign(ctx, cell, last.Dims);
            var staged = ctx.Run.StageWrite(cell, last.dtype, last.Dims);
            Array.Copy(last.Data, staged.Data, last.size);
            ctx.SetOutput(0, staged);
        }

        private readonly struct InstructionRun(Instruction<T> ins) : IRunOperator<T, T>
        {
            public void VV(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => ins.VV(x, y, d);
            public void VS(ReadOnlySpan<T> x, T y, Span<T> d) => ins.VS(x, y, d);
            public void SV(T x, ReadOnlySpan<T> y, Span<T> d) => ins.SV(x, y, d);
        }
    }
}
