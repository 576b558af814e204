//! Inventory bookkeeping: warehouses, stock movements, reservations and a CSV import.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::error::Error;
use std::fmt;
use std::io::{self, BufRead, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sku(pub u32);

#[derive(Debug)]
pub enum InventoryError {
    UnknownSku(Sku),
    Insufficient { sku: Sku, wanted: u32, available: u32 },
    Parse { line: usize, reason: String },
    Io(io::Error),
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InventoryError::UnknownSku(sku) => write!(f, "unknown sku {}", sku.0),
            InventoryError::Insufficient { sku, wanted, available } => {
                write!(f, "sku {}: wanted {}, only {} available", sku.0, wanted, available)
            }
            InventoryError::Parse { line, reason } => write!(f, "line {}: {}", line, reason),
            InventoryError::Io(err) => write!(f, "io: {}", err),
        }
    }
}

impl Error for InventoryError {}

impl From<io::Error> for InventoryError {
    fn from(err: io::Error) -> Self {
        InventoryError::Io(err)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Level {
    pub on_hand: u32,
    pub reserved: u32,
    pub reorder_point: u32,
}

impl Level {
    pub fn available(&self) -> u32 {
        self.on_hand.saturating_sub(self.reserved)
    }

    pub fn needs_reorder(&self) -> bool {
        self.reorder_point > 0 && self.available() <= self.reorder_point
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Movement {
    Receive { sku: Sku, quantity: u32 },
    Ship { sku: Sku, quantity: u32 },
    Adjust { sku: Sku, delta: i64 },
    Transfer { sku: Sku, quantity: u32, to: String },
}

#[derive(Default)]
pub struct Warehouse {
    pub name: String,
    levels: BTreeMap<Sku, Level>,
    reservations: HashMap<u64, Vec<(Sku, u32)>>,
    next_reservation: u64,
    journal: Vec<Movement>,
}

impl Warehouse {
    pub fn new(name: impl Into<String>) -> Self {
        Warehouse { name: name.into(), ..Default::default() }
    }

    pub fn level(&self, sku: Sku) -> Option<&Level> {
        self.levels.get(&sku)
    }

    pub fn apply(&mut self, movement: Movement) -> Result<(), InventoryError> {
        match &movement {
            Movement::Receive { sku, quantity } => {
                self.levels.entry(*sku).or_default().on_hand += quantity;
            }
            Movement::Ship { sku, quantity } | Movement::Transfer { sku, quantity, .. } => {
                let level = self.levels.get_mut(sku).ok_or(InventoryError::UnknownSku(*sku))?;
                if level.available() < *quantity {
                    return Err(InventoryError::Insufficient {
                        sku: *sku,
                        wanted: *quantity,
                        available: level.available(),
                    });
                }
                level.on_hand -= quantity;
            }
            Movement::Adjust { sku, delta } => {
                let level = self.levels.entry(*sku).or_default();
                let adjusted = level.on_hand as i64 + delta;
                level.on_hand = if adjusted < 0 { 0 } else { adjusted as u32 };
            }
        }
        self.journal.push(movement);
        Ok(())
    }

    pub fn reserve(&mut self, items: &[(Sku, u32)]) -> Result<u64, InventoryError> {
        for (sku, quantity) in items {
            let level = self.levels.get(sku).ok_or(InventoryError::UnknownSku(*sku))?;
            if level.available() < *quantity {
                return Err(InventoryError::Insufficient { sku: *sku, wanted: *quantity, available: level.available() });
            }
        }
        for (sku, quantity) in items {
            if let Some(level) = self.levels.get_mut(sku) {
                level.reserved += quantity;
            }
        }
        self.next_reservation += 1;
        self.reservations.insert(self.next_reservation, items.to_vec());
        Ok(self.next_reservation)
    }

    pub fn release(&mut self, reservation: u64, fulfil: bool) -> bool {
        let items = match self.reservations.remove(&reservation) {
            Some(items) => items,
            None => return false,
        };
        for (sku, quantity) in items {
            let Some(level) = self.levels.get_mut(&sku) else {
                continue;
            };
            level.reserved = level.reserved.saturating_sub(quantity);
            if fulfil {
                level.on_hand = level.on_hand.saturating_sub(quantity);
                self.journal.push(Movement::Ship { sku, quantity });
            }
        }
        true
    }

    pub fn reorder_list(&self) -> Vec<(Sku, u32)> {
        self.levels
            .iter()
            .filter(|(_, level)| level.needs_reorder())
            .map(|(sku, level)| (*sku, level.reorder_point * 2 - level.available()))
            .collect()
    }

    pub fn totals(&self) -> (u64, u64) {
        let mut on_hand = 0u64;
        let mut reserved = 0u64;
        for level in self.levels.values() {
            on_hand += level.on_hand as u64;
            reserved += level.reserved as u64;
        }
        (on_hand, reserved)
    }
}

pub fn parse_movement(line: &str, number: usize) -> Result<Option<Movement>, InventoryError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with("//") {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let bad = |reason: &str| InventoryError::Parse { line: number, reason: reason.to_string() };
    if fields.len() < 3 {
        return Err(bad("expected at least 3 fields"));
    }
    let sku = fields[1].parse().map(Sku).map_err(|_| bad("bad sku"))?;
    let movement = match fields[0] {
        "receive" | "ship" => {
            let quantity: u32 = fields[2].parse().map_err(|_| bad("bad quantity"))?;
            if quantity == 0 {
                return Err(bad("zero quantity"));
            }
            if fields[0] == "receive" {
                Movement::Receive { sku, quantity }
            } else {
                Movement::Ship { sku, quantity }
            }
        }
        "adjust" => Movement::Adjust { sku, delta: fields[2].parse().map_err(|_| bad("bad delta"))? },
        "transfer" if fields.len() == 4 => Movement::Transfer {
            sku,
            quantity: fields[2].parse().map_err(|_| bad("bad quantity"))?,
            to: fields[3].to_string(),
        },
        other => return Err(bad(&format!("unknown movement {}", other))),
    };
    Ok(Some(movement))
}

pub fn import<R: BufRead>(reader: R, warehouse: &mut Warehouse) -> Result<usize, InventoryError> {
    let mut applied = 0;
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        if let Some(movement) = parse_movement(&line, index + 1)? {
            warehouse.apply(movement)?;
            applied += 1;
        }
    }
    Ok(applied)
}

pub fn report<W: Write>(out: &mut W, warehouses: &[Warehouse]) -> io::Result<()> {
    let mut seen: HashSet<Sku> = HashSet::new();
    for warehouse in warehouses {
        writeln!(out, "== {}", warehouse.name)?;
        for (sku, level) in &warehouse.levels {
            let flag = if level.needs_reorder() { " (reorder)" } else { "" };
            writeln!(out, "{:>8} {:>6} {:>6}{}", sku.0, level.on_hand, level.reserved, flag)?;
            seen.insert(*sku);
        }
        let (on_hand, reserved) = warehouse.totals();
        writeln!(out, "total {} on hand, {} reserved", on_hand, reserved)?;
    }
    writeln!(out, "{} distinct skus", seen.len())
}

pub fn rebalance(warehouses: &mut [Warehouse], sku: Sku) -> Vec<Movement> {
    let total: u32 = warehouses.iter().filter_map(|w| w.level(sku)).map(|l| l.available()).sum();
    if warehouses.is_empty() || total == 0 {
        return Vec::new();
    }
    let target = total / warehouses.len() as u32;
    let mut moves = Vec::new();
    let mut donors: Vec<(usize, u32)> = Vec::new();
    let mut takers: Vec<(usize, u32)> = Vec::new();
    for (index, warehouse) in warehouses.iter().enumerate() {
        let available = warehouse.level(sku).map_or(0, |l| l.available());
        if available > target {
            donors.push((index, available - target));
        } else if available < target {
            takers.push((index, target - available));
        }
    }
    let mut donor = 0;
    for (taker, mut needed) in takers {
        while needed > 0 && donor < donors.len() {
            let give = needed.min(donors[donor].1);
            donors[donor].1 -= give;
            needed -= give;
            moves.push(Movement::Transfer {
                sku,
                quantity: give,
                to: warehouses[taker].name.clone(),
            });
            if donors[donor].1 == 0 {
                donor += 1;
            }
        }
    }
    moves
}
