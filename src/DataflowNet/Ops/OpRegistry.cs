namespace DataflowNet;

/// <summary>All op definitions, by TensorFlow type name. Each family file registers its ops here, once.</summary>
public static class OpRegistry
{
    private static readonly Dictionary<string, OpDef> Defs = new();
    private static readonly object Gate = new();

    static OpRegistry()
    {
        ConstantOps.Register();
        StateOps.Register();
        MathOps.Register();
        ArrayOps.Register();
        NnOps.Register();
        ConvOps.Register();
        RandomOps.Register();
        GradientOps.Register();
        LossOps.Register();
        TrainingOps.Register();
        SummaryOps.Register();
        ControlFlowOps.Register();
        IoOps.Register();
    }

    /// <summary>Adds a definition (users may register their own ops). A type may be registered once.</summary>
    public static void Register(OpDef def)
    {
        lock (Gate)
        {
            if (!Defs.TryAdd(def.Type, def))
                throw new InvalidArgumentException($"Op type '{def.Type}' is already registered.");
        }
    }

    /// <summary>Sets or replaces the gradient of a registered op type, as TensorFlow's @RegisterGradient.</summary>
    public static void RegisterGradient(string type, GradientFunction gradient) => Get(type).SetGradient(gradient);

    public static OpDef Get(string type)
    {
        lock (Gate)
            return Defs.TryGetValue(type, out var d) ? d
                : throw new NotFoundException($"Op type not registered '{type}'. DataflowNet has no definition for this op.");
    }

    public static bool IsRegistered(string type) { lock (Gate) return Defs.ContainsKey(type); }
    public static IReadOnlyCollection<string> Types { get { lock (Gate) return Defs.Keys.ToArray(); } }
}
