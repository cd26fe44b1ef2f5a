using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DataflowNet.Kernels.Cpu;

namespace DataflowNet;

/// <summary>
/// A fused elementwise chain compiled into one loop over registers. The chain becomes a tree of small generic
/// structs (<c>Binary&lt;Add, Binary&lt;Mul, Full, Full&gt;, Row&gt;</c> for x·w + b), built once per group and leaf
/// layout with <see cref="Type.MakeGenericType"/>; the JIT specializes the loop for that type and inlines the whole
/// tree, so every leaf is read and the output written in a single pass with all streams in flight at once. The
/// chunked interpreter in <see cref="Fusion"/> (one pass per instruction over an L1 chunk) measured about 30% less
/// memory bandwidth on relu(x·w + b). Only operators that are exact elementwise IEEE operations take this path
/// (the same results, bit for bit, as the span kernels); the others stay on the chunked path.
/// </summary>
internal static unsafe class FusedLoop
{
    /// <summary>Off: fused groups run on the chunked path only (for the tests that compare the two).</summary>
    internal static bool Enabled = true;

    /// <summary>Loops compiled so far (the tests check that a chain took this path).</summary>
    internal static int Compiled;

    private static readonly Dictionary<string, Type> BinaryOps = new()
    {
        ["AddV2"] = typeof(AddOp), ["BiasAdd"] = typeof(AddOp), ["Sub"] = typeof(SubOp), ["Mul"] = typeof(MulOp),
        ["RealDiv"] = typeof(DivOp), ["Maximum"] = typeof(MaxOp), ["Minimum"] = typeof(MinOp),
    };

    private static readonly Dictionary<string, Type> UnaryOps = new()
    {
        ["Neg"] = typeof(NegOp), ["Abs"] = typeof(AbsOp), ["Square"] = typeof(SquareOp), ["Relu"] = typeof(ReluOp),
        ["Sqrt"] = typeof(SqrtOp), ["Reciprocal"] = typeof(ReciprocalOp),
    };

    /// <summary>
    /// Most instructions in a compiled loop: the expression type nests one generic level per instruction, and a
    /// type thousands of levels deep (a chain of 1,000 adds) overflows the type loader's and the JIT's recursion.
    /// Longer chains stay on the chunked path, which is compute-light per element at that length anyway.
    /// </summary>
    private const int MaxInstructions = 16;

    /// <summary>Whether every op of a program has a register form (and the machine has 256-bit vectors), and it is short enough to compile.</summary>
    public static bool Supports(IReadOnlyList<Instruction> program) =>
        Enabled && Vector256.IsHardwareAccelerated && program.Count <= MaxInstructions
        && program.All(i => BinaryOps.ContainsKey(i.Type) || UnaryOps.ContainsKey(i.Type))
        && TreeSize(program) <= 2 * MaxInstructions + 1;

    /// <summary>
    /// Nodes of the expression tree a program becomes. A result used twice (y·y) is a subtree copied into both
    /// places, so a chain of squarings doubles the tree at each step: 2^15 leaves for 15 of them, a struct too big
    /// for a thread's stack. A chain without such reuse has at most one node per instruction and per leaf read.
    /// </summary>
    private static long TreeSize(IReadOnlyList<Instruction> program)
    {
        var size = new long[program.Count];
        long Of(Operand o) => o.IsLeaf ? 1 : size[o.Index];
        for (int i = 0; i < program.Count; i++)
            size[i] = Math.Min(1L << 40, 1 + Of(program[i].A) + (program[i].B is { } b ? Of(b) : 0));
        return program.Count == 0 ? 0 : size[^1];
    }

    /// <summary>How a leaf is read: one value per output element, one value for all, or a row repeated along the output.</summary>
    public enum LeafKind : byte { Full, Scalar, Row }

    /// <summary>An operand of an instruction, as <see cref="Fusion"/> numbers them: a leaf input or an earlier result.</summary>
    public readonly record struct Operand(bool IsLeaf, int Index);

    public readonly record struct Instruction(string Type, Operand A, Operand? B);

    /// <summary>
    /// The loop for a program with the leaves laid out as <paramref name="kinds"/> says: the expression type of the
    /// last instruction's tree, and the leaf read by each leaf node in the tree's construction order.
    /// </summary>
    public static ILoop<T> Build<T>(IReadOnlyList<Instruction> program, ReadOnlySpan<LeafKind> kinds) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var order = new List<int>();
        var kindArray = kinds.ToArray();
        Type Node(Operand o)
        {
            if (o.IsLeaf)
            {
                order.Add(o.Index);
                return (kindArray[o.Index] switch { LeafKind.Full => typeof(Full<>), LeafKind.Scalar => typeof(Broadcast<>), _ => typeof(Row<>) }).MakeGenericType(typeof(T));
            }
            var ins = program[o.Index];
            if (ins.B is not { } b) return typeof(Unary<,,>).MakeGenericType(typeof(T), UnaryOps[ins.Type], Node(ins.A));
            var left = Node(ins.A); // construction order: left subtree before right, as Create below binds them
            return typeof(Binary<,,,>).MakeGenericType(typeof(T), BinaryOps[ins.Type], left, Node(b));
        }
        var expr = Node(new Operand(false, program.Count - 1));
        var loop = (ILoop<T>)Activator.CreateInstance(typeof(Loop<,>).MakeGenericType(typeof(T), expr))!;
        loop.LeafOrder = order.ToArray();
        Interlocked.Increment(ref Compiled);
        return loop;
    }

    /// <summary>The leaves' buffers of one run, in tree order (read through managed references: nothing is pinned).</summary>
    public ref struct Binder<T> where T : unmanaged
    {
        private readonly ReadOnlySpan<T[]> _leaves;
        private int _next;

        public Binder(ReadOnlySpan<T[]> leaves) => _leaves = leaves;
        public T[] Next() => _leaves[_next++];
    }

    public interface ILoop<T> where T : unmanaged
    {
        int[] LeafOrder { get; set; }

        /// <summary>
        /// Output elements [start, end) into <paramref name="output"/>; rows of <paramref name="rowLength"/> for row
        /// leaves (0: none). <paramref name="stream"/>: write with non-temporal stores (no row leaves).
        /// </summary>
        void Run(ReadOnlySpan<T[]> leaves, T* output, int start, int end, int rowLength, bool stream);
    }

    private sealed class Loop<T, TExpr> : ILoop<T> where T : unmanaged, IFloatingPointIeee754<T> where TExpr : struct, IExpr<T, TExpr>
    {
        public int[] LeafOrder { get; set; } = [];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(ReadOnlySpan<T[]> leaves, T* output, int start, int end, int rowLength, bool stream)
        {
            var binder = new Binder<T>(leaves);
            var e = TExpr.Create(ref binder);
            int w = Vector256<T>.Count;
            if (rowLength == 0)
            {
                nint i = start;
                if (stream && Avx.IsSupported)
                {
                    // Non-temporal stores need 32-byte alignment: scalars up to the first aligned element.
                    for (; i < end && ((nint)(output + i) & 31) != 0; i++) output[i] = e.Scalar(i, i);
                    for (; i <= end - w; i += w) StoreStreaming(e.Vector(i, i), output + i);
                    StreamingStore.Fence();
                }
                for (; i <= end - w; i += w) e.Vector(i, i).Store(output + i);
                for (; i < end; i++) output[i] = e.Scalar(i, i);
                return;
            }
            // start and end are whole rows: the row leaves are read at the position within the row.
            for (nint row = start; row < end; row += rowLength)
            {
                nint j = 0;
                for (; j <= rowLength - w; j += w) e.Vector(row + j, j).Store(output + row + j);
                for (; j < rowLength; j++) output[row + j] = e.Scalar(row + j, j);
            }
        }

        private static void StoreStreaming(Vector256<T> v, T* at)
        {
            if (typeof(T) == typeof(float)) Avx.StoreAlignedNonTemporal((float*)at, v.AsSingle());
            else Avx.StoreAlignedNonTemporal((double*)at, v.AsDouble());
        }
    }

    /// <summary>A node of the tree: the value at flat index i (j: the index within the row, for row leaves).</summary>
    public interface IExpr<T, TSelf> where T : unmanaged where TSelf : struct, IExpr<T, TSelf>
    {
        static abstract TSelf Create(ref Binder<T> binder);
        Vector256<T> Vector(nint i, nint j);
        T Scalar(nint i, nint j);
    }

    // Leaves index their arrays unchecked: the kernel has checked every leaf's length against the output's.
    private readonly struct Full<T>(T[] a) : IExpr<T, Full<T>> where T : unmanaged
    {
        public static Full<T> Create(ref Binder<T> binder) => new(binder.Next());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Vector(nint i, nint j) => Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(a), (nuint)i);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Scalar(nint i, nint j) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), i);
    }

    private readonly struct Row<T>(T[] a) : IExpr<T, Row<T>> where T : unmanaged
    {
        public static Row<T> Create(ref Binder<T> binder) => new(binder.Next());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Vector(nint i, nint j) => Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(a), (nuint)j);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Scalar(nint i, nint j) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), j);
    }

    private readonly struct Broadcast<T>(T value) : IExpr<T, Broadcast<T>> where T : unmanaged
    {
        private readonly Vector256<T> _vector = Vector256.Create(value);
        public static Broadcast<T> Create(ref Binder<T> binder) => new(binder.Next()[0]);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Vector(nint i, nint j) => _vector;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Scalar(nint i, nint j) => value;
    }

    private readonly struct Unary<T, TOp, TA>(TA a) : IExpr<T, Unary<T, TOp, TA>>
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IUnaryOp where TA : struct, IExpr<T, TA>
    {
        public static Unary<T, TOp, TA> Create(ref Binder<T> binder) => new(TA.Create(ref binder));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Vector(nint i, nint j) => TOp.Invoke(a.Vector(i, j));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Scalar(nint i, nint j) => TOp.Invoke(a.Scalar(i, j));
    }

    private readonly struct Binary<T, TOp, TA, TB>(TA a, TB b) : IExpr<T, Binary<T, TOp, TA, TB>>
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IBinaryOp where TA : struct, IExpr<T, TA> where TB : struct, IExpr<T, TB>
    {
        public static Binary<T, TOp, TA, TB> Create(ref Binder<T> binder)
        {
            var left = TA.Create(ref binder);
            return new(left, TB.Create(ref binder));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Vector(nint i, nint j) => TOp.Invoke(a.Vector(i, j), b.Vector(i, j));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Scalar(nint i, nint j) => TOp.Invoke(a.Scalar(i, j), b.Scalar(i, j));
    }

    // Operators with a register form, each exactly the span kernel's operation (TensorPrimitives' Max/Min are IEEE
    // 754 maximum/minimum, as Vector256.Max/Min and T.Max/Min are).
    public interface IUnaryOp
    {
        static abstract Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract T Invoke<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    public interface IBinaryOp
    {
        static abstract Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract T Invoke<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    private struct AddOp : IBinaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, IFloatingPointIeee754<T> => x + y;
        public static T Invoke<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x + y;
    }

    private struct SubOp : IBinaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, IFloatingPointIeee754<T> => x - y;
        public static T Invoke<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x - y;
    }

    private struct MulOp : IBinaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, IFloatingPointIeee754<T> => x * y;
        public static T Invoke<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x * y;
    }

    private struct DivOp : IBinaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, IFloatingPointIeee754<T> => x / y;
        public static T Invoke<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x / y;
    }

    private struct MaxOp : IBinaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Max(x, y);
        public static T Invoke<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => T.Max(x, y);
    }

    private struct MinOp : IBinaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Min(x, y);
        public static T Invoke<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => T.Min(x, y);
    }

    private struct NegOp : IUnaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => -x;
        public static T Invoke<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => -x;
    }

    private struct AbsOp : IUnaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Abs(x);
        public static T Invoke<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Abs(x);
    }

    private struct SquareOp : IUnaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => x * x;
        public static T Invoke<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x * x;
    }

    private struct ReluOp : IUnaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Max(x, Vector256<T>.Zero);
        public static T Invoke<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Max(x, T.Zero);
    }

    private struct SqrtOp : IUnaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Vector256.Sqrt(x);
        public static T Invoke<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Sqrt(x);
    }

    private struct ReciprocalOp : IUnaryOp
    {
        public static Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Vector256<T>.One / x;
        public static T Invoke<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / x;
    }
}
