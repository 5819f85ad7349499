namespace ProfilePipeline.Domain.Events;

/// <summary>The behaviour kinds every importer normalises to. The numeric values are persisted: never reorder.</summary>
public enum BehaviorType : byte
{
    View = 0,
    Click = 1,
    Search = 2,
    CartAdd = 3,
    CartRemove = 4,
    Favorite = 5,
    Purchase = 6,
}

public static class BehaviorTypes
{
    public const int Count = 7;

    public static readonly IReadOnlyList<BehaviorType> All =
        [BehaviorType.View, BehaviorType.Click, BehaviorType.Search, BehaviorType.CartAdd,
         BehaviorType.CartRemove, BehaviorType.Favorite, BehaviorType.Purchase];

    /// <summary>Canonical wire name (design.md §3).</summary>
    public static string WireName(this BehaviorType type) => type switch
    {
        BehaviorType.View => "view",
        BehaviorType.Click => "click",
        BehaviorType.Search => "search",
        BehaviorType.CartAdd => "cart_add",
        BehaviorType.CartRemove => "cart_remove",
        BehaviorType.Favorite => "favorite",
        BehaviorType.Purchase => "purchase",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// Maps the names used by the canonical format and by the datasets we import
    /// (Taobao pv/cart/fav/buy, REES46 view/cart/remove_from_cart/purchase, RetailRocket view/addtocart/transaction).
    /// </summary>
    public static bool TryParse(string? name, out BehaviorType type)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "view" or "pv" or "page_view" or "pageview":
                type = BehaviorType.View; return true;
            case "click":
                type = BehaviorType.Click; return true;
            case "search":
                type = BehaviorType.Search; return true;
            case "cart_add" or "cart" or "addtocart" or "add_to_cart":
                type = BehaviorType.CartAdd; return true;
            case "cart_remove" or "remove_from_cart" or "removefromcart":
                type = BehaviorType.CartRemove; return true;
            case "favorite" or "fav" or "favourite" or "wishlist":
                type = BehaviorType.Favorite; return true;
            case "purchase" or "buy" or "transaction" or "order":
                type = BehaviorType.Purchase; return true;
            default:
                type = default; return false;
        }
    }
}
