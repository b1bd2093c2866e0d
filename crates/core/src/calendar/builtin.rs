//! The State Council's holiday notices for 2020–2026, transcribed by hand.
//!
//! Each entry is one item of a notice: the festival, the first and last day off,
//! and the weekend days that become working days (调休上班). Only the notice's own
//! wording counts; the test in `tests.rs` compares every day with the
//! `chinese_holiday` crate as an independent transcription.

use super::Festival::{self, *};
use time::{macros::date, Date};

pub(super) struct Item {
    pub festival: Festival,
    pub first: Date,
    pub last: Date,
    pub make_up: &'static [Date],
}

pub(super) struct Notice {
    pub year: i32,
    pub sources: &'static [&'static str],
    pub items: &'static [Item],
}

const fn item(festival: Festival, first: Date, last: Date, make_up: &'static [Date]) -> Item {
    Item {
        festival,
        first,
        last,
        make_up,
    }
}

pub(super) const NOTICES: &[Notice] = &[
    Notice {
        year: 2020,
        // The second notice extended the Spring Festival from 30 January to
        // 2 February because of the epidemic; it applies nationwide.
        sources: &[
            "https://www.gov.cn/zhengce/content/2019-11/21/content_5454164.htm",
            "https://www.gov.cn/zhengce/content/2020-01/27/content_5472352.htm",
        ],
        items: &[
            item(NewYear, date!(2020 - 01 - 01), date!(2020 - 01 - 01), &[]),
            item(
                SpringFestival,
                date!(2020 - 01 - 24),
                date!(2020 - 02 - 02),
                &[date!(2020 - 01 - 19)],
            ),
            item(Qingming, date!(2020 - 04 - 04), date!(2020 - 04 - 06), &[]),
            item(
                LabourDay,
                date!(2020 - 05 - 01),
                date!(2020 - 05 - 05),
                &[date!(2020 - 04 - 26), date!(2020 - 05 - 09)],
            ),
            item(
                DragonBoat,
                date!(2020 - 06 - 25),
                date!(2020 - 06 - 27),
                &[date!(2020 - 06 - 28)],
            ),
            item(
                NationalDayMidAutumn,
                date!(2020 - 10 - 01),
                date!(2020 - 10 - 08),
                &[date!(2020 - 09 - 27), date!(2020 - 10 - 10)],
            ),
        ],
    },
    Notice {
        year: 2021,
        sources: &["https://www.gov.cn/zhengce/content/2020-11/25/content_5564127.htm"],
        items: &[
            item(NewYear, date!(2021 - 01 - 01), date!(2021 - 01 - 03), &[]),
            item(
                SpringFestival,
                date!(2021 - 02 - 11),
                date!(2021 - 02 - 17),
                &[date!(2021 - 02 - 07), date!(2021 - 02 - 20)],
            ),
            item(Qingming, date!(2021 - 04 - 03), date!(2021 - 04 - 05), &[]),
            item(
                LabourDay,
                date!(2021 - 05 - 01),
                date!(2021 - 05 - 05),
                &[date!(2021 - 04 - 25), date!(2021 - 05 - 08)],
            ),
            item(
                DragonBoat,
                date!(2021 - 06 - 12),
                date!(2021 - 06 - 14),
                &[],
            ),
            item(
                MidAutumn,
                date!(2021 - 09 - 19),
                date!(2021 - 09 - 21),
                &[date!(2021 - 09 - 18)],
            ),
            item(
                NationalDay,
                date!(2021 - 10 - 01),
                date!(2021 - 10 - 07),
                &[date!(2021 - 09 - 26), date!(2021 - 10 - 09)],
            ),
        ],
    },
    Notice {
        year: 2022,
        sources: &["https://www.gov.cn/zhengce/content/2021-10/25/content_5644835.htm"],
        items: &[
            item(NewYear, date!(2022 - 01 - 01), date!(2022 - 01 - 03), &[]),
            item(
                SpringFestival,
                date!(2022 - 01 - 31),
                date!(2022 - 02 - 06),
                &[date!(2022 - 01 - 29), date!(2022 - 01 - 30)],
            ),
            item(
                Qingming,
                date!(2022 - 04 - 03),
                date!(2022 - 04 - 05),
                &[date!(2022 - 04 - 02)],
            ),
            item(
                LabourDay,
                date!(2022 - 04 - 30),
                date!(2022 - 05 - 04),
                &[date!(2022 - 04 - 24), date!(2022 - 05 - 07)],
            ),
            item(
                DragonBoat,
                date!(2022 - 06 - 03),
                date!(2022 - 06 - 05),
                &[],
            ),
            item(MidAutumn, date!(2022 - 09 - 10), date!(2022 - 09 - 12), &[]),
            item(
                NationalDay,
                date!(2022 - 10 - 01),
                date!(2022 - 10 - 07),
                &[date!(2022 - 10 - 08), date!(2022 - 10 - 09)],
            ),
        ],
    },
    Notice {
        year: 2023,
        sources: &["https://www.gov.cn/zhengce/content/2022-12/08/content_5730844.htm"],
        items: &[
            // The 2023 notice starts New Year's Day on 31 December 2022.
            item(NewYear, date!(2022 - 12 - 31), date!(2023 - 01 - 02), &[]),
            item(
                SpringFestival,
                date!(2023 - 01 - 21),
                date!(2023 - 01 - 27),
                &[date!(2023 - 01 - 28), date!(2023 - 01 - 29)],
            ),
            item(Qingming, date!(2023 - 04 - 05), date!(2023 - 04 - 05), &[]),
            item(
                LabourDay,
                date!(2023 - 04 - 29),
                date!(2023 - 05 - 03),
                &[date!(2023 - 04 - 23), date!(2023 - 05 - 06)],
            ),
            item(
                DragonBoat,
                date!(2023 - 06 - 22),
                date!(2023 - 06 - 24),
                &[date!(2023 - 06 - 25)],
            ),
            item(
                NationalDayMidAutumn,
                date!(2023 - 09 - 29),
                date!(2023 - 10 - 06),
                &[date!(2023 - 10 - 07), date!(2023 - 10 - 08)],
            ),
        ],
    },
    Notice {
        year: 2024,
        sources: &["https://www.gov.cn/zhengce/content/202310/content_6911527.htm"],
        items: &[
            item(NewYear, date!(2024 - 01 - 01), date!(2024 - 01 - 01), &[]),
            item(
                SpringFestival,
                date!(2024 - 02 - 10),
                date!(2024 - 02 - 17),
                &[date!(2024 - 02 - 04), date!(2024 - 02 - 18)],
            ),
            item(
                Qingming,
                date!(2024 - 04 - 04),
                date!(2024 - 04 - 06),
                &[date!(2024 - 04 - 07)],
            ),
            item(
                LabourDay,
                date!(2024 - 05 - 01),
                date!(2024 - 05 - 05),
                &[date!(2024 - 04 - 28), date!(2024 - 05 - 11)],
            ),
            item(
                DragonBoat,
                date!(2024 - 06 - 10),
                date!(2024 - 06 - 10),
                &[],
            ),
            item(
                MidAutumn,
                date!(2024 - 09 - 15),
                date!(2024 - 09 - 17),
                &[date!(2024 - 09 - 14)],
            ),
            item(
                NationalDay,
                date!(2024 - 10 - 01),
                date!(2024 - 10 - 07),
                &[date!(2024 - 09 - 29), date!(2024 - 10 - 12)],
            ),
        ],
    },
    Notice {
        year: 2025,
        // From 2025 the Spring Festival has 4 statutory days and Labour Day 2.
        sources: &["https://www.gov.cn/zhengce/content/202411/content_6986382.htm"],
        items: &[
            item(NewYear, date!(2025 - 01 - 01), date!(2025 - 01 - 01), &[]),
            item(
                SpringFestival,
                date!(2025 - 01 - 28),
                date!(2025 - 02 - 04),
                &[date!(2025 - 01 - 26), date!(2025 - 02 - 08)],
            ),
            item(Qingming, date!(2025 - 04 - 04), date!(2025 - 04 - 06), &[]),
            item(
                LabourDay,
                date!(2025 - 05 - 01),
                date!(2025 - 05 - 05),
                &[date!(2025 - 04 - 27)],
            ),
            item(
                DragonBoat,
                date!(2025 - 05 - 31),
                date!(2025 - 06 - 02),
                &[],
            ),
            item(
                NationalDayMidAutumn,
                date!(2025 - 10 - 01),
                date!(2025 - 10 - 08),
                &[date!(2025 - 09 - 28), date!(2025 - 10 - 11)],
            ),
        ],
    },
    Notice {
        year: 2026,
        sources: &["https://www.gov.cn/zhengce/content/202511/content_7047090.htm"],
        items: &[
            item(
                NewYear,
                date!(2026 - 01 - 01),
                date!(2026 - 01 - 03),
                &[date!(2026 - 01 - 04)],
            ),
            item(
                SpringFestival,
                date!(2026 - 02 - 15),
                date!(2026 - 02 - 23),
                &[date!(2026 - 02 - 14), date!(2026 - 02 - 28)],
            ),
            item(Qingming, date!(2026 - 04 - 04), date!(2026 - 04 - 06), &[]),
            item(
                LabourDay,
                date!(2026 - 05 - 01),
                date!(2026 - 05 - 05),
                &[date!(2026 - 05 - 09)],
            ),
            item(
                DragonBoat,
                date!(2026 - 06 - 19),
                date!(2026 - 06 - 21),
                &[],
            ),
            item(MidAutumn, date!(2026 - 09 - 25), date!(2026 - 09 - 27), &[]),
            // The notice lists 20 September under National Day, not Mid-Autumn.
            item(
                NationalDay,
                date!(2026 - 10 - 01),
                date!(2026 - 10 - 07),
                &[date!(2026 - 09 - 20), date!(2026 - 10 - 10)],
            ),
        ],
    },
];
