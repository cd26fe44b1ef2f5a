using System.Collections;

namespace DataflowNet;

/// <summary>
/// Values for placeholders (or any tensor), as Python's feed_dict: <c>new FeedDict { [x] = value }</c>.
/// Values may be C# scalars, rectangular or jagged arrays, strings, NumSharp NDArrays or TensorValues. The session
/// copies what it is fed, so the caller keeps ownership of fed NDArrays.
/// </summary>
public sealed class FeedDict : IEnumerable<KeyValuePair<Tensor, object>>
{
    private readonly Dictionary<Tensor, object> _items = new();

    public FeedDict() { }
    public FeedDict(IEnumerable<(Tensor, object)> items) { foreach (var (t, v) in items) this[t] = v; }

    public object this[Tensor tensor]
    {
        get => _items[tensor];
        set => _items[tensor] = value ?? throw new InvalidArgumentException($"The value fed for {tensor.name} is null.");
    }

    public void Add(Tensor tensor, object value) => this[tensor] = value;
    public int Count => _items.Count;
    internal Dictionary<Tensor, object> Items => _items;
    public IEnumerator<KeyValuePair<Tensor, object>> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
