using DataflowNet.Io;
using DataflowNet.Io.Checkpoints;
using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet;

/// <summary>
/// TensorFlow 1's tf.train.Saver: saves variables to V2 checkpoints and restores them, through graph ops built once
/// under a <c>save/</c> name scope as TensorFlow builds them: <c>save/Const</c> (the prefix, a string placeholder with
/// a default), <c>save/SaveV2</c> and <c>save/control_dependency</c> (the prefix, after the save), <c>save/RestoreV2</c>
/// with one <c>save/Assign</c> per variable, grouped as <c>save/restore_all</c>. A restore is one run: it sets every
/// variable or, when anything fails, none. The checkpoint keys are the variables' op names (<c>w</c> for <c>w:0</c>)
/// unless a dictionary names them.
/// </summary>
public sealed class Saver
{
    private readonly Graph _graph;
    private readonly (string Key, Variable Variable)[] _variables;
    private readonly Tensor _filename;
    private readonly Tensor _saveTensor;
    private readonly Operation _restoreOp;
    private readonly List<(string Path, double Time)> _lastCheckpoints = new();
    private double _nextCheckpointTime;

    /// <summary>
    /// A saver over the save and restore ops already in a graph (an imported MetaGraphDef's SaverDef), as TensorFlow's
    /// <c>Saver(saver_def=...)</c>; the variables are the graph's, keyed by their op names.
    /// </summary>
    internal Saver(Graph graph, SaverDef def, IEnumerable<Variable> variables, string prefix)
    {
        if (def.Version != SaverDef.Types.CheckpointFormatVersion.V2)
            throw new UnimplementedException($"The MetaGraphDef's saver writes {def.Version} checkpoints; DataflowNet reads and writes V2.");
        _graph = graph;
        _filename = graph.get_tensor_by_name(prefix + def.FilenameTensorName);
        _saveTensor = graph.get_tensor_by_name(prefix + def.SaveTensorName);
        _restoreOp = graph.get_operation_by_name(prefix + def.RestoreOpName);
        // The variables this saver restores are those its restore op assigns (a Saver over some variables, or under
        // other names, as TensorFlow's restore op reads only its own keys); every imported one if that is not found.
        var restored = RestoredByGraph(_restoreOp, variables);
        _variables = (restored.Count > 0 ? restored : variables.Select(v => (v.op.name[prefix.Length..], v)))
            .OrderBy(v => v.Item1, StringComparer.Ordinal).ToArray();
        max_to_keep = def.MaxToKeep;
        keep_checkpoint_every_n_hours = def.KeepCheckpointEveryNHours > 0 ? def.KeepCheckpointEveryNHours : 10000f;
        save_relative_paths = true;
        _nextCheckpointTime = Now() + keep_checkpoint_every_n_hours * 3600.0;
    }

    /// <summary>(checkpoint key, variable) for each Assign(variable, RestoreV2:i) the restore op runs, through its groups.</summary>
    private static List<(string, Variable)> RestoredByGraph(Operation restoreOp, IEnumerable<Variable> variables)
    {
        var byOp = variables.ToDictionary(v => v.op);
        var result = new List<(string, Variable)>();
        var seen = new HashSet<Operation>();
        var stack = new Stack<Operation>([restoreOp]);
        while (stack.Count > 0)
        {
            var op = stack.Pop();
            if (!seen.Add(op)) continue;
            if (op.type == "Assign" && op.inputs[1].op is { type: "RestoreV2" } restore && byOp.TryGetValue(op.inputs[0].op, out var v)
                && ConstantFolding.TryEvaluate(restore.inputs[1]) is { } names && op.inputs[1].value_index < names.size)
                result.Add((names.ToArray<string>()[op.inputs[1].value_index], v));
            foreach (var c in op.control_inputs) stack.Push(c);
            if (op.type is "NoOp" or "Identity") foreach (var i in op.inputs) stack.Push(i.op);
        }
        return result;
    }

    internal Saver(IEnumerable<(string Key, Variable Variable)> variables, int maxToKeep, float keepCheckpointEveryNHours, string name, bool saveRelativePaths)
    {
        _variables = variables.ToArray();
        if (_variables.Length == 0) throw new InvalidArgumentException("No variables to save.");
        var duplicate = _variables.GroupBy(v => v.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidArgumentException($"At least two variables have the same name: {duplicate.Key} ({string.Join(", ", duplicate.Select(v => v.Variable.name))}).");
        _graph = _variables[0].Variable.graph;
        foreach (var (key, v) in _variables)
        {
            if (v.graph != _graph) throw new InvalidArgumentException($"Variable {v.name} is not in the same graph as {_variables[0].Variable.name}; a Saver saves the variables of one graph.");
            if (key.Length == 0) throw new InvalidArgumentException($"Variable {v.name} has an empty checkpoint name.");
        }
        // SaveV2 writes its tensors in this order, as TensorFlow's Saver sorts them by name.
        Array.Sort(_variables, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        max_to_keep = maxToKeep;
        keep_checkpoint_every_n_hours = keepCheckpointEveryNHours;
        save_relative_paths = saveRelativePaths;
        _nextCheckpointTime = Now() + keepCheckpointEveryNHours * 3600.0;

        using var _ = _graph.as_default();
        using var noControl = _graph.control_dependencies(null);
        using var scope = _graph.name_scope(name);
        Tensor filename;
        using (var s = _graph.name_scope("filename"))
            filename = tf.placeholder_with_default(tf.constant("model", name: "input"), TensorShape.Scalar, name: s.Name);
        // TensorFlow keeps the name Const for backwards compatibility: SaverDef.filename_tensor_name is save/Const:0.
        _filename = tf.placeholder_with_default(filename, TensorShape.Scalar, name: "Const");
        var keys = _variables.Select(v => v.Key).ToArray();
        var dtypes = _variables.Select(v => v.Variable.dtype).ToArray();
        Operation save;
        using (var s = _graph.name_scope("SaveV2"))
        {
            var names = tf.constant(keys, name: "tensor_names");
            var slices = tf.constant(keys.Select(_ => "").ToArray(), name: "shape_and_slices");
            save = _graph.CreateOp("SaveV2", [_filename, names, slices, .. _variables.Select(v => v.Variable.Ref)],
                                   new() { ["dtypes"] = dtypes }, name: s.Name);
        }
        using (_graph.control_dependencies([save]))
            _saveTensor = tf.identity(_filename, name: "control_dependency");
        Operation restore;
        using (var s = _graph.name_scope("RestoreV2"))
        {
            var names = tf.constant(keys, name: "tensor_names");
            var slices = tf.constant(keys.Select(_ => "").ToArray(), name: "shape_and_slices");
            restore = _graph.CreateOp("RestoreV2", [_filename, names, slices], new() { ["dtypes"] = dtypes }, name: s.Name);
        }
        var assigns = _variables.Select((v, i) => (object)v.Variable.assign(restore.outputs[i])).ToList();
        _restoreOp = tf.group(assigns, name: "restore_all");
    }

    public int max_to_keep { get; }
    public float keep_checkpoint_every_n_hours { get; }
    /// <summary>Whether the <c>checkpoint</c> state file names checkpoints relative to its directory (so the directory can move).</summary>
    public bool save_relative_paths { get; }

    /// <summary>The prefix tensor to feed (<c>save/Const:0</c>), the save tensor (<c>save/control_dependency:0</c>) and the restore op (<c>save/restore_all</c>): TensorFlow's SaverDef names.</summary>
    public Tensor filename_tensor => _filename;
    public Tensor save_tensor => _saveTensor;
    public Operation restore_op => _restoreOp;

    /// <summary>TensorFlow's SaverDef: the names of the prefix tensor, the save tensor and the restore op, and the keep policy.</summary>
    public SaverDef as_saver_def() => new()
    {
        FilenameTensorName = _filename.name,
        SaveTensorName = _saveTensor.name,
        RestoreOpName = _restoreOp.name,
        MaxToKeep = max_to_keep,
        Sharded = false,
        KeepCheckpointEveryNHours = keep_checkpoint_every_n_hours,
        Version = SaverDef.Types.CheckpointFormatVersion.V2,
    };

    /// <summary>The graph, its collections and this saver's SaverDef as a MetaGraphDef, written to <paramref name="filename"/> when given (binary unless <paramref name="as_text"/>).</summary>
    public MetaGraphDef export_meta_graph(string? filename = null, bool as_text = false)
    {
        var meta = MetaGraph.Export(_graph, as_saver_def());
        if (filename is not null)
        {
            // Written to a temporary file and renamed, like the checkpoint beside it.
            var tmp = filename + ".tmp" + Guid.NewGuid().ToString("N");
            try
            {
                using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
                {
                    if (as_text) f.Write(System.Text.Encoding.UTF8.GetBytes(TextFormatWriter.Print(meta)));
                    else meta.WriteTo(f);
                    f.Flush(flushToDisk: true);
                }
                File.Move(tmp, filename, overwrite: true);
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
        }
        return meta;
    }

    /// <summary>The checkpoints this saver keeps, oldest first (those it has not deleted).</summary>
    public IReadOnlyList<string> last_checkpoints => _lastCheckpoints.Select(c => c.Path).ToList();

    /// <summary>
    /// Saves every variable to the checkpoint <paramref name="save_path"/> (<c>save_path-N</c> with a
    /// <paramref name="global_step"/>: an int, a long, or a tensor or variable whose value is read), updates the
    /// <c>checkpoint</c> state file of its directory, and deletes the checkpoints beyond <see cref="max_to_keep"/>.
    /// With <paramref name="write_meta_graph"/>, the graph is written beside it as <c>prefix.meta</c> (a MetaGraphDef
    /// with this saver's SaverDef), as TensorFlow does. Returns the prefix written.
    /// </summary>
    public string save(Session sess, string save_path, object? global_step = null, string latest_filename = CheckpointStateFile.DefaultName,
                       bool write_meta_graph = true, bool write_state = true)
    {
        ArgumentNullException.ThrowIfNull(sess);
        if (string.IsNullOrEmpty(save_path)) throw new InvalidArgumentException("save_path must name a checkpoint prefix, e.g. \"ckpt/model\".");
        if (sess.graph != _graph) throw new InvalidArgumentException("The session's graph is not the graph this Saver was built in.");
        var checkpointFile = global_step is null ? save_path : $"{save_path}-{Step(sess, global_step)}";
        var saveDir = Path.GetDirectoryName(Path.GetFullPath(checkpointFile))!;
        if (!Directory.Exists(saveDir)) throw new NotFoundException($"Parent directory of {save_path} doesn't exist, can't save.");

        var written = (string)sess.run(_saveTensor, (_filename, checkpointFile));
        // Before the state file names the checkpoint, so a checkpoint that is named has its graph beside it.
        if (write_meta_graph) export_meta_graph(written + MetaSuffix);
        if (write_state)
        {
            RecordLastCheckpoint(written, out var toDelete);
            var paths = _lastCheckpoints.Select(c => c.Path).ToList();
            var times = _lastCheckpoints.Select(c => c.Time).ToList();
            CheckpointStateFile.Write(saveDir, written, paths, times, _nextCheckpointTime - keep_checkpoint_every_n_hours * 3600.0,
                                      save_relative_paths, latest_filename);
            DeleteOld(toDelete);
        }
        return written;
    }

    /// <summary>
    /// Sets every variable from the checkpoint <paramref name="save_path"/>, in one run: when a key is missing
    /// (<see cref="NotFoundException"/>), a dtype or shape differs (<see cref="InvalidArgumentException"/>) or the
    /// file is corrupted (<see cref="DataLossException"/>), no variable changes.
    /// </summary>
    public void restore(Session sess, string save_path)
    {
        ArgumentNullException.ThrowIfNull(sess);
        if (save_path is null) throw new InvalidArgumentException("Can't load save_path when it is None.");
        if (sess.graph != _graph) throw new InvalidArgumentException("The session's graph is not the graph this Saver was built in.");
        if (!TensorBundle.Exists(save_path)) throw new NotFoundException($"The passed save_path is not a valid checkpoint: {save_path}");
        var reader = new BundleReader(save_path);
        foreach (var (key, v) in _variables)
        {
            if (!reader.Contains(key))
                throw new NotFoundException($"Key {key} not found in checkpoint {save_path} (needed to restore variable {v.name}).");
            var dims = reader.Shape(key);
            var storedType = reader.DTypeName(key);
            if (storedType != Io.TensorProtos.ToProto(v.dtype).ToString() || !v.shape.Accepts(dims))
            {
                string stored;
                try { stored = reader.DType(key).Name(); } catch (UnimplementedException) { stored = storedType; }
                throw new InvalidArgumentException($"Cannot restore variable {v.name} from checkpoint {save_path}: the variable expects dtype {v.dtype.Name()} " +
                                                   $"and shape {v.shape}, the checkpoint gives '{key}' as dtype {stored} with shape {TensorShape.Format(dims)}.");
            }
        }
        sess.run(_restoreOp, (_filename, save_path));
    }

    private static long Step(Session sess, object globalStep) => globalStep switch
    {
        int i => i,
        long l => l,
        Tensor t when t.dtype.IsInteger() => sess.run(t).item<long>(),
        Tensor t => throw new InvalidArgumentException($"global_step must be an integer tensor, got {t.name} of dtype {t.dtype.Name()}."),
        _ => throw new InvalidArgumentException($"global_step must be an int, a long or an integer Tensor, got {globalStep.GetType().Name}."),
    };

    private void RecordLastCheckpoint(string latest, out List<(string Path, double Time)> toDelete)
    {
        toDelete = new();
        if (max_to_keep <= 0) return; // keep every file; the state file names only the latest
        _lastCheckpoints.RemoveAll(c => c.Path == latest);
        _lastCheckpoints.Add((latest, _clock()));
        while (_lastCheckpoints.Count > max_to_keep)
        {
            toDelete.Add(_lastCheckpoints[0]);
            _lastCheckpoints.RemoveAt(0);
        }
    }

    private void DeleteOld(List<(string Path, double Time)> toDelete)
    {
        foreach (var (path, time) in toDelete)
        {
            // keep_checkpoint_every_n_hours: one checkpoint per period survives.
            if (time > _nextCheckpointTime)
            {
                _nextCheckpointTime += keep_checkpoint_every_n_hours * 3600.0;
                continue;
            }
            try
            {
                TensorBundle.Delete(path);
                File.Delete(path + MetaSuffix);
            }
            catch (IOException e) { Log.Warning($"Ignoring: could not delete old checkpoint {path}: {e.Message}"); }
        }
    }

    private const string MetaSuffix = ".meta";

    private static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    private Func<double> _clock = Now;

    /// <summary>For tests: a clock (seconds since the epoch) in place of the system's, restarting the keep-every-n-hours period.</summary>
    internal void UseClock(Func<double> clock)
    {
        _clock = clock;
        _nextCheckpointTime = clock() + keep_checkpoint_every_n_hours * 3600.0;
    }
}
