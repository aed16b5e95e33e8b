"""Option pricing: European (Black-Scholes-Merton, Black-76) and American (QuantLib engines and a
fast tree), implied volatility for whole chains, Greeks. Units: see :mod:`pricing.black_scholes`.

The functional API broadcasts over numpy arrays and takes market inputs as keywords::

    import pricing
    pricing.european_price(kind="put", spot=220.0, strike=210.0, t_years=0.25, rate=0.04,
                           div_yield=0.012, vol=0.22)
"""

from pricing.american import american_greeks, american_implied_vol, american_price
from pricing.black_scholes import Greeks
from pricing.errors import EngineError, ImpliedVolError, InputError, PricingError
from pricing.european import black76_greeks, black76_price, european_greeks, european_price
from pricing.implied_vol import implied_vol, implied_vol_black76
from pricing.iv_result import ImpliedVolResult
from pricing.types import (
    Delivery,
    DividendSchedule,
    ExerciseStyle,
    OptionContract,
    OptionKind,
    SettlementTime,
)

__all__ = [
    "Delivery",
    "DividendSchedule",
    "EngineError",
    "ExerciseStyle",
    "Greeks",
    "ImpliedVolError",
    "ImpliedVolResult",
    "InputError",
    "OptionContract",
    "OptionKind",
    "PricingError",
    "SettlementTime",
    "american_greeks",
    "american_implied_vol",
    "american_price",
    "black76_greeks",
    "black76_price",
    "european_greeks",
    "european_price",
    "implied_vol",
    "implied_vol_black76",
]
