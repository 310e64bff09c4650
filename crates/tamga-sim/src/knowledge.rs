//! Static trade knowledge the generator dresses declarations with: partners,
//! hubs, flags, exchange rates, value densities and misclassification decoys.

/// A trade partner the generator knows how to dress up: sellers, carriers,
/// cities, currencies and transport.
pub(crate) struct Partner {
    pub(crate) code: &'static str,
    pub(crate) cities: &'static [&'static str],
    pub(crate) streets: &'static [&'static str],
    /// Seller name: prefix + city + stem + suffix.
    pub(crate) firm: (&'static str, &'static str),
    pub(crate) currencies: &'static [(&'static str, f64)],
    /// Weights of road, rail, air, sea at the border.
    pub(crate) modes: [f64; 4],
    /// IATA airline designator and air waybill prefix of the flag carrier.
    pub(crate) airline: (&'static str, &'static str),
}

pub(crate) const PARTNERS: &[Partner] = &[
    Partner {
        code: "CN",
        cities: &[
            "Shenzhen",
            "Guangzhou",
            "Yiwu",
            "Urumqi",
            "Shanghai",
            "Ningbo",
        ],
        streets: &["Shennan Road", "Huangpu Avenue", "Futian Street"],
        firm: ("", " Co., Ltd."),
        currencies: &[("USD", 0.6), ("CNY", 0.4)],
        modes: [0.45, 0.4, 0.15, 0.0],
        airline: ("CA", "999"),
    },
    Partner {
        code: "RU",
        cities: &["Moscow", "Novosibirsk", "Yekaterinburg", "Kazan", "Samara"],
        streets: &["Leninsky Prospekt", "Tverskaya Street", "Sadovaya Street"],
        firm: ("OOO ", ""),
        currencies: &[("RUB", 0.6), ("USD", 0.4)],
        modes: [0.6, 0.35, 0.05, 0.0],
        airline: ("SU", "555"),
    },
    Partner {
        code: "TR",
        cities: &["Istanbul", "Izmir", "Bursa", "Mersin", "Gaziantep"],
        streets: &["Ataturk Caddesi", "Cumhuriyet Bulvari", "Istiklal Caddesi"],
        firm: ("", " A.S."),
        currencies: &[("USD", 0.5), ("EUR", 0.5)],
        modes: [0.7, 0.1, 0.2, 0.0],
        airline: ("TK", "235"),
    },
    Partner {
        code: "DE",
        cities: &[
            "Hamburg",
            "Munich",
            "Stuttgart",
            "Duisburg",
            "Frankfurt am Main",
        ],
        streets: &["Hauptstrasse", "Industriestrasse", "Hafenstrasse"],
        firm: ("", " GmbH"),
        currencies: &[("EUR", 0.85), ("USD", 0.15)],
        modes: [0.55, 0.1, 0.3, 0.05],
        airline: ("LH", "020"),
    },
    Partner {
        code: "KR",
        cities: &["Seoul", "Busan", "Incheon", "Ulsan"],
        streets: &["Teheran-ro", "Gangnam-daero", "Jungang-daero"],
        firm: ("", " Co., Ltd."),
        currencies: &[("USD", 1.0)],
        modes: [0.1, 0.3, 0.4, 0.2],
        airline: ("KE", "180"),
    },
    Partner {
        code: "KZ",
        cities: &["Almaty", "Shymkent", "Astana", "Karaganda"],
        streets: &["Abay Avenue", "Dostyk Avenue", "Tole Bi Street"],
        firm: ("TOO ", ""),
        currencies: &[("USD", 0.6), ("RUB", 0.4)],
        modes: [0.75, 0.25, 0.0, 0.0],
        airline: ("KC", "465"),
    },
    Partner {
        code: "US",
        cities: &["Chicago", "Houston", "Los Angeles", "Newark"],
        streets: &["Main Street", "Commerce Drive", "Harbor Boulevard"],
        firm: ("", " Inc."),
        currencies: &[("USD", 1.0)],
        modes: [0.05, 0.15, 0.5, 0.3],
        airline: ("5X", "406"),
    },
    Partner {
        code: "IN",
        cities: &["Mumbai", "Kolkata", "Chennai", "New Delhi"],
        streets: &["MG Road", "Nehru Place", "Marine Drive"],
        firm: ("", " Pvt. Ltd."),
        currencies: &[("USD", 1.0)],
        modes: [0.1, 0.2, 0.5, 0.2],
        airline: ("AI", "098"),
    },
    Partner {
        code: "IT",
        cities: &["Milan", "Bologna", "Turin", "Verona"],
        streets: &["Via Roma", "Via Garibaldi", "Corso Italia"],
        firm: ("", " S.r.l."),
        currencies: &[("EUR", 0.9), ("USD", 0.1)],
        modes: [0.6, 0.1, 0.25, 0.05],
        airline: ("AZ", "055"),
    },
    Partner {
        code: "JP",
        cities: &["Tokyo", "Osaka", "Nagoya", "Yokohama"],
        streets: &["Chuo-dori", "Meiji-dori", "Showa-dori"],
        firm: ("", " K.K."),
        currencies: &[("USD", 1.0)],
        modes: [0.05, 0.25, 0.4, 0.3],
        airline: ("JL", "131"),
    },
    Partner {
        code: "KG",
        cities: &["Bishkek", "Osh"],
        streets: &["Chuy Avenue", "Manas Avenue"],
        firm: ("OsOO ", ""),
        currencies: &[("USD", 0.7), ("RUB", 0.3)],
        modes: [0.9, 0.1, 0.0, 0.0],
        airline: ("QH", "561"),
    },
];

/// Transit hubs consignments are often dispatched from.
pub(crate) const HUBS: [&str; 3] = ["KZ", "RU", "TR"];

/// CIS free-trade partners of Uzbekistan: the targets of false origin.
pub(crate) const PREFERENTIAL_PARTNERS: [&str; 6] = ["KZ", "KG", "RU", "BY", "TJ", "AM"];

/// Document type of the proof of preferential origin (the CIS ST-1
/// certificate): "proof of preferential origin, see the arrangement".
pub(crate) const PROOF_OF_ORIGIN: &str = "U045";

/// Flags of convenience for sea vessels.
pub(crate) const SEA_FLAGS: [&str; 4] = ["PA", "LR", "MT", "SG"];

/// Approximate units of currency per USD (only to make prices look right).
pub(crate) const FX_PER_USD: [(&str, f64); 4] =
    [("USD", 1.0), ("EUR", 0.92), ("CNY", 7.2), ("RUB", 90.0)];

pub(crate) fn fx_per_usd(currency: &str) -> f64 {
    FX_PER_USD
        .iter()
        .find(|(c, _)| *c == currency)
        .map_or(1.0, |(_, r)| *r)
}

/// Typical value density (USD per kg gross) by the longest matching prefix.
pub(crate) const DENSITY: &[(&str, f64)] = &[
    ("8703", 14.0),
    ("8708", 8.0),
    ("8471", 120.0),
    ("8473", 60.0),
    ("8517", 250.0),
    ("8528", 25.0),
    ("8504", 20.0),
    ("8516", 12.0),
    ("8418", 5.0),
    ("8450", 4.0),
    ("8428", 8.0),
    ("8429", 9.0),
    ("8431", 6.0),
    ("8443", 30.0),
    ("4011", 4.0),
    ("0902", 5.0),
    ("0901", 6.0),
    ("2402", 40.0),
    ("61", 25.0),
    ("62", 30.0),
    ("08", 1.2),
    ("09", 5.0),
    ("18", 5.0),
    ("19", 3.5),
    ("20", 1.1),
    ("24", 15.0),
    ("28", 0.6),
    ("30", 60.0),
    ("31", 0.4),
    ("32", 4.0),
    ("33", 15.0),
    ("34", 3.0),
    ("38", 6.0),
    ("39", 1.6),
    ("84", 10.0),
    ("85", 20.0),
    ("87", 10.0),
    ("94", 5.0),
];

pub(crate) fn usd_per_kg(hs6: &str) -> f64 {
    DENSITY
        .iter()
        .filter(|(p, _)| hs6.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .map_or(6.0, |(_, d)| *d)
}

/// Classic low-duty decoys, by heading or chapter prefix: what a fraudster
/// declares instead of the true subheading.
pub(crate) const DECOYS: &[(&str, &str)] = &[
    ("8703", "870899"),
    ("8471", "847330"),
    ("8517", "851779"),
    ("8528", "852852"),
    ("8418", "841899"),
    ("8428", "843139"),
    ("8429", "843149"),
    ("2402", "240120"),
    ("0902", "090240"),
    ("2009", "200990"),
    ("1806", "180690"),
    ("9403", "940399"),
    ("9401", "940199"),
    ("61", "611790"),
    ("62", "621790"),
    ("08", "081340"),
    ("30", "300490"),
];
