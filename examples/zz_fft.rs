use streamcore::fft;
use streamcore::prelude::*;
fn med(mut v: Vec<f64>) -> f64 { v.sort_by(|a, b| a.partial_cmp(b).unwrap()); v[v.len() / 2] }
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(1 << 24);
    let reps: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(10);
    let dev = Device::cpu();
    let v: Vec<Complex32> = (0..n).map(|i| Complex32::new((i % 17) as f32, (i % 5) as f32)).collect();
    let x = Array::from_vec(&dev, v.clone(), &[n]).unwrap();
    let _ = fft::fft(&x).unwrap();
    let ours: Vec<f64> = (0..reps).map(|_| { let t = std::time::Instant::now(); let y = fft::fft(&x).unwrap(); let e = t.elapsed().as_secs_f64(); drop(y); e }).collect();
    let plan = rustfft::FftPlanner::<f32>::new().plan_fft_forward(n);
    let mut buf = v.clone();
    let mut sc = vec![Complex32::new(0.0, 0.0); plan.get_inplace_scratch_len()];
    plan.process_with_scratch(&mut buf, &mut sc);
    let rf: Vec<f64> = (0..reps).map(|_| { buf.copy_from_slice(&v); let t = std::time::Instant::now(); plan.process_with_scratch(&mut buf, &mut sc); t.elapsed().as_secs_f64() }).collect();
    let rfc: Vec<f64> = (0..reps).map(|_| { let t = std::time::Instant::now(); buf.copy_from_slice(&v); plan.process_with_scratch(&mut buf, &mut sc); t.elapsed().as_secs_f64() }).collect();
    let (o, a, b) = (med(ours), med(rf), med(rfc));
    println!("n={n}: ours {:.1} us, rustfft in place {:.1} us ({:.2}x), copy+in place {:.1} us ({:.2}x)", o * 1e6, a * 1e6, a / o, b * 1e6, b / o);
}
