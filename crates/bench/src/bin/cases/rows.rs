//! Case-like rows: the HTTP reports and the raw baseline carry the same text.

pub(super) const FILLER: &str =
    "居民反映该处长期有人私搭乱建彩钢房并堆放杂物,占用消防通道,影响车辆通行和消防安全,\
    夜间照明不足,存在较大安全隐患,多次向物业反映未果,希望相关部门尽快核实处理并给予答复,谢谢。";

/// A 200-character description, different for each `i`.
pub(super) fn description(i: usize) -> String {
    let head = format!("第{i}号反映:{}号楼东侧", 1 + i % 30);
    let mut s: String = head.chars().take(200).collect();
    let mut filler = FILLER.chars().cycle();
    while s.chars().count() < 200 {
        match filler.next() {
            Some(ch) => s.push(ch),
            None => break,
        }
    }
    s
}

pub(super) fn report_body(i: usize, building: &str) -> String {
    serde_json::json!({
        "category": "0601",
        "unit": building,
        "description": description(i),
        "address_detail": format!("{}单元东侧车棚", 1 + i % 4),
        "source": "staff",
    })
    .to_string()
}
